//! What the name of a receiver says it is: a database session, another
//! store (a `db` handle, a repository, a CRUD module) or something else.

/// What a receiver's name says it is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Receiver {
    /// `session`, `self._session`, `db_session`, `sess`: a session, whose
    /// querying methods are its library's.
    Session,
    /// `db`, `*_db`, `user_repository`, `self.repo`, `crud.user`: any method
    /// but the non-querying ones may query.
    Store,
    Other,
}

/// `session`, `db`, `self.session`, `user_repository`, `self.repo`, `crud.user`.
pub fn db_receiver(dotted: &str) -> Receiver {
    let segments: Vec<String> = dotted.split('.').map(|s| s.to_ascii_lowercase()).collect();
    let Some(last) = segments.last() else {
        return Receiver::Other;
    };
    let last = last.trim_start_matches('_');
    let session_like = matches!(last, "session" | "db_session" | "dbsession" | "sess")
        || last.ends_with("_session");
    let db_like = last == "db" || last.ends_with("_db");
    let repo_like = segments.iter().any(|s| {
        let s = s.trim_start_matches('_');
        s.ends_with("repository")
            || s.ends_with("repo")
            || s.ends_with("_repository")
            || s == "crud"
            || s.ends_with("_crud")
            || s.starts_with("crud_")
    });
    if repo_like || db_like {
        Receiver::Store
    } else if session_like {
        Receiver::Session
    } else {
        Receiver::Other
    }
}
