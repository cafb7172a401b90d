use super::*;

/// The first function of `source` and the events of its body, as
/// (kind, receiver, managed).
fn summary(source: &str) -> Vec<(String, String, bool)> {
    let tree = crate::parse::parse(source).expect("parse");
    let root = tree.root_node();
    let def = root.named_child(0).expect("a def");
    let body = def.child_by_field_id(*fid::BODY).expect("body");
    events(body, source)
        .into_iter()
        .map(|e| {
            let kind = match e.kind {
                EventKind::Write(m) => m.to_owned(),
                EventKind::Execute(s) => format!(
                    "execute:{}",
                    s.is_some_and(|s| is_write_statement(s, source))
                ),
                EventKind::Commit => "commit".to_owned(),
                EventKind::Yield => "yield".to_owned(),
            };
            (kind, e.receiver, e.managed)
        })
        .collect()
}

fn owned(v: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
    v.iter()
        .map(|(k, r, m)| ((*k).to_owned(), (*r).to_owned(), *m))
        .collect()
}

#[test]
fn writes_and_commits_in_order() {
    let source = "def f(session):\n    session.add(a)\n    session.execute(update(T).values(x=1))\n    session.execute(select(T))\n    session.commit()\n    repo.index.commit('msg')\n";
    assert_eq!(
        summary(source),
        owned(&[
            ("add", "session", false),
            ("execute:true", "session", false),
            ("execute:false", "session", false),
            ("commit", "session", false),
        ])
    );
}

#[test]
fn begin_blocks_and_rollbacks_manage_their_receiver() {
    let source = "async def f(db, other):\n    async with db.begin():\n        db.add(a)\n        other.add(b)\n    try:\n        other.delete(c)\n    except Exception:\n        await other.rollback()\n        raise\n    with maker.begin() as s:\n        s.add(d)\n    def inner():\n        db.add(e)\n";
    assert_eq!(
        summary(source),
        owned(&[
            ("add", "db", true),
            ("add", "other", false),
            ("delete", "other", true),
            ("add", "s", true),
        ])
    );
}

#[test]
fn providers_that_yield_inside_a_transaction() {
    let managed = [
        "async def get_db():\n    async with Session() as s:\n        async with s.begin():\n            yield s\n",
        "def get_db():\n    s = Session()\n    try:\n        yield s\n    except Exception:\n        s.rollback()\n        raise\n    finally:\n        s.close()\n",
        "async def get_db():\n    async with maker.begin() as s:\n        yield s\n",
    ];
    for source in managed {
        let tree = crate::parse::parse(source).expect("parse");
        let def = tree.root_node().named_child(0).expect("def");
        assert!(yields_managed(def, source), "{source}");
    }
    let unmanaged = [
        "async def get_db():\n    async with Session() as s:\n        yield s\n",
        "def get_db():\n    s = Session()\n    try:\n        yield s\n    finally:\n        s.close()\n",
        "def get_db():\n    return Session()\n",
    ];
    for source in unmanaged {
        let tree = crate::parse::parse(source).expect("parse");
        let def = tree.root_node().named_child(0).expect("def");
        assert!(!yields_managed(def, source), "{source}");
    }
}
