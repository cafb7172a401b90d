//! Built-in knowledge, embedded at build time: standard-library module names,
//! import names that differ from their distribution's name, the most
//! downloaded PyPI distributions, extras and packages used without imports.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::names::normalize;

static MAP_TSV: &str = include_str!("../../../data/module_dist_map.tsv");
static TOP_TXT: &str = include_str!("../../../data/pypi_top.txt");
/// `data/pypi_names.bin` decoded at build time (build.rs): the sorted
/// hashes as little-endian `u32`s, searched in place.
static NAMES_U32: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pypi_names.u32"));
/// `data/pypi_top.txt` as (name, rank) pairs sorted by name (build.rs).
static TOP_BY_NAME: &[(&str, u32)] = include!(concat!(env!("OUT_DIR"), "/pypi_top.rs"));

fn data_lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Modules that exist only for type checkers (typeshed), never installed.
const TYPE_ONLY: &[&str] = &["_typeshed"];

pub fn is_type_only(top: &str) -> bool {
    TYPE_ONLY.contains(&top)
}

struct ModuleTable {
    /// Dotted import name -> normalised distributions.
    by_import: HashMap<&'static str, Vec<String>>,
    /// Normalised distribution -> import names.
    by_dist: HashMap<String, Vec<&'static str>>,
    /// Import names in the order of the data file, each once.
    imports: Vec<&'static str>,
}

static TABLE: LazyLock<ModuleTable> = LazyLock::new(|| {
    let mut t = ModuleTable {
        by_import: HashMap::new(),
        by_dist: HashMap::new(),
        imports: Vec::new(),
    };
    for line in data_lines(MAP_TSV).skip_while(|l| l.starts_with("import_name")) {
        let mut parts = line.split('\t');
        let (Some(import), Some(dist)) = (parts.next(), parts.next()) else {
            continue;
        };
        let dist = normalize(dist);
        if !t.by_import.contains_key(import) {
            t.imports.push(import);
        }
        t.by_import.entry(import).or_default().push(dist.clone());
        t.by_dist.entry(dist).or_default().push(import);
    }
    t
});

/// The table's distributions for the longest dotted prefix of `module` it knows.
pub fn table_dists(module: &str) -> &'static [String] {
    for prefix in super::names::prefixes(module) {
        if let Some(d) = TABLE.by_import.get(prefix) {
            return d;
        }
    }
    &[]
}

/// Import names the table lists for a distribution.
pub fn table_imports(dist: &str) -> &'static [&'static str] {
    TABLE.by_dist.get(dist).map_or(&[], Vec::as_slice)
}

/// Every import name the table knows, in the order of the data file (a
/// stable order: suggestions break ties by it).
pub fn table_import_names() -> impl Iterator<Item = &'static str> {
    TABLE.imports.iter().copied()
}

/// A normalised distribution's download rank (0 = most downloaded).
pub fn top_rank(dist: &str) -> Option<usize> {
    TOP_BY_NAME
        .binary_search_by(|(name, _)| (*name).cmp(dist))
        .ok()
        .map(|i| TOP_BY_NAME[i].1 as usize)
}

/// The most downloaded distributions, most downloaded first.
pub fn top_dists() -> impl Iterator<Item = &'static str> {
    data_lines(TOP_TXT)
}

/// FNV-1a, 32 bits: the hash `data/pypi_names.bin` holds.
pub fn fnv1a32(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Is there a PyPI project with this (normalised) name? About one false
/// "yes" in 5,000 names; never a false "no" for the snapshot's names.
pub fn on_pypi(dist: &str) -> bool {
    let wanted = fnv1a32(dist);
    let hash = |i: usize| {
        let b = &NAMES_U32[i * 4..i * 4 + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    };
    let (mut lo, mut hi) = (0, NAMES_U32.len() / 4);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match hash(mid).cmp(&wanted) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Top-level names shared by many distributions (namespace packages): the
/// bare name says nothing about which distribution, so knowing a package
/// needs this many dotted parts.
pub fn namespace_depth(top: &str, second: Option<&str>) -> usize {
    match (top, second) {
        ("google", Some("cloud")) | ("azure", Some("mgmt")) => 3,
        ("opentelemetry", Some("instrumentation" | "exporter")) => 3,
        (
            "google" | "azure" | "opentelemetry" | "zope" | "jaraco" | "backports"
            | "sphinxcontrib",
            _,
        ) => 2,
        (
            "ruamel" | "snowflake" | "databricks" | "airflow" | "paho" | "oslo" | "flufl"
            | "repoze",
            _,
        ) => 2,
        _ => 1,
    }
}

/// What `fastapi[standard]` (and its `-no-fastapi-cloud-cli` twin) installs.
const FASTAPI_STANDARD: &[&str] = &[
    "fastapi-cli",
    "httpx",
    "jinja2",
    "python-multipart",
    "email-validator",
    "uvicorn",
    // through `uvicorn[standard]`
    "uvloop",
    "httptools",
    "websockets",
    "watchfiles",
    "python-dotenv",
];

/// Extras of popular packages and what they install, for projects without a
/// lockfile (from the packages' published metadata).
const EXTRAS: &[(&str, &str, &[&str])] = &[
    (
        "uvicorn",
        "standard",
        &[
            "uvloop",
            "httptools",
            "websockets",
            "watchfiles",
            "python-dotenv",
            "pyyaml",
            "colorama",
        ],
    ),
    ("fastapi", "standard", FASTAPI_STANDARD),
    ("fastapi", "standard-no-fastapi-cloud-cli", FASTAPI_STANDARD),
    (
        "fastapi",
        "all",
        &[
            "fastapi-cli",
            "httpx",
            "jinja2",
            "python-multipart",
            "itsdangerous",
            "pyyaml",
            "ujson",
            "orjson",
            "email-validator",
            "uvicorn",
            "pydantic-settings",
            "pydantic-extra-types",
        ],
    ),
    ("pydantic", "email", &["email-validator"]),
    ("pydantic", "timezone", &["tzdata"]),
    ("passlib", "bcrypt", &["bcrypt"]),
    ("passlib", "argon2", &["argon2-cffi"]),
    ("python-jose", "cryptography", &["cryptography"]),
    ("pyjwt", "crypto", &["cryptography"]),
    ("sqlalchemy", "asyncio", &["greenlet"]),
    ("sqlalchemy", "postgresql-asyncpg", &["asyncpg", "greenlet"]),
    ("sqlalchemy", "postgresql-psycopg", &["psycopg"]),
    (
        "sqlalchemy",
        "postgresql-psycopg2binary",
        &["psycopg2-binary"],
    ),
    ("sqlalchemy", "aiosqlite", &["aiosqlite", "greenlet"]),
    ("sqlalchemy", "asyncmy", &["asyncmy", "greenlet"]),
    ("sqlalchemy", "aiomysql", &["aiomysql", "greenlet"]),
    ("sqlalchemy", "mypy", &["mypy"]),
    ("psycopg", "binary", &["psycopg-binary"]),
    ("psycopg", "pool", &["psycopg-pool"]),
    ("celery", "redis", &["redis"]),
    ("httpx", "http2", &["h2"]),
    ("httpx", "socks", &["socksio"]),
    ("redis", "hiredis", &["hiredis"]),
    ("requests", "socks", &["pysocks"]),
    ("aiohttp", "speedups", &["aiodns", "brotli"]),
    ("boto3", "crt", &["awscrt"]),
    ("python-socketio", "asyncio-client", &["aiohttp"]),
    ("sentry-sdk", "fastapi", &["fastapi"]),
    ("moto", "server", &["flask", "flask-cors"]),
    ("pydantic-settings", "yaml", &["pyyaml"]),
    ("pydantic-settings", "toml", &["tomli"]),
    ("ariadne", "asgi-file-uploads", &["python-multipart"]),
    (
        "strawberry-graphql",
        "fastapi",
        &["fastapi", "python-multipart"],
    ),
];

pub fn extra_dists(dist: &str, extras: &[String]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (d, e, provides) in EXTRAS {
        if *d == dist && extras.iter().any(|x| x == e || x == "all" || x == "full") {
            out.extend_from_slice(provides);
        }
    }
    out
}

/// Dependencies a distribution exposes as part of its own API, which its
/// documentation tells users to import directly: `fastapi` re-exports
/// `starlette` (requests, responses, middleware), `pydantic` builds on
/// `pydantic-core` and `annotated-types`. Importing them with the
/// distribution declared is not a transitive-import bug. (A lockfile or
/// virtualenv adds the general case: a direct dependency named after its
/// declarer, `langchain` -> `langchain-core`.)
const REEXPORTS: &[(&str, &[&str])] = &[
    ("fastapi", &["starlette"]),
    ("fastapi-slim", &["starlette"]),
    ("pydantic", &["pydantic-core", "annotated-types"]),
    ("sqlmodel", &["sqlalchemy", "pydantic"]),
    ("flask", &["werkzeug"]),
    ("celery", &["kombu"]),
    ("apache-airflow", &["apache-airflow-core"]),
    ("prefect", &["prefect-client"]),
];

/// The dependencies `dist` (normalised) re-exports as its API.
pub fn reexports(dist: &str) -> &'static [&'static str] {
    REEXPORTS
        .iter()
        .find(|(d, _)| *d == dist)
        .map_or(&[], |(_, r)| *r)
}

/// Distributions a project needs without importing them: servers started
/// from the command line, drivers named in database URLs, backends other
/// packages load, command-line tools and plugins.
const USED_WITHOUT_IMPORT: &[&str] = &[
    // ASGI/WSGI servers and workers
    "uvicorn",
    "gunicorn",
    "hypercorn",
    "daphne",
    "granian",
    "uvicorn-worker",
    "waitress",
    "gevent",
    "eventlet",
    "meinheld",
    // uvicorn/starlette/fastapi optional backends
    "uvloop",
    "httptools",
    "websockets",
    "wsproto",
    "watchfiles",
    "python-multipart",
    "itsdangerous",
    "jinja2",
    "aiofiles",
    "email-validator",
    "python-dotenv",
    "orjson",
    "ujson",
    "fastapi-cli",
    // parser backends BeautifulSoup and others pick by name
    "lxml",
    "html5lib",
    // database drivers named in URLs, async bridges
    "asyncpg",
    "psycopg2",
    "psycopg2-binary",
    "psycopg",
    "psycopg-binary",
    "psycopg-pool",
    "psycopg-c",
    "pymysql",
    "mysqlclient",
    "aiomysql",
    "asyncmy",
    "aiosqlite",
    "mysql-connector-python",
    "cx-oracle",
    "oracledb",
    "pyodbc",
    "pymssql",
    "greenlet",
    "sqlalchemy-utils",
    "redis",
    "hiredis",
    // crypto backends other packages load
    "bcrypt",
    "argon2-cffi",
    "cryptography",
    "pycryptodome",
    "tzdata",
    // migrations, task runners and tools run from the command line
    "alembic",
    "celery",
    "flower",
    "supervisor",
    "honcho",
    "pip",
    "setuptools",
    "wheel",
    "pip-tools",
    "build",
    "twine",
    "hatchling",
    "poetry-core",
    "pdm-backend",
    "flit-core",
    "setuptools-scm",
    // agents and auto-instrumentation
    "ddtrace",
    "newrelic",
    "opentelemetry-distro",
    "opentelemetry-instrumentation",
    "elastic-apm",
    "scout-apm",
    // development tools
    "pytest",
    "coverage",
    "mypy",
    "ruff",
    "black",
    "isort",
    "flake8",
    "pylint",
    "pre-commit",
    "tox",
    "nox",
    "bandit",
    "safety",
    "pip-audit",
    "ipython",
    "ipdb",
    "debugpy",
    "watchdog",
    "httpie",
    "locust",
    "pyright",
    "autopep8",
    "yapf",
    "codespell",
    "vulture",
    "radon",
    "xenon",
    "interrogate",
    "commitizen",
    "bump2version",
    "bumpversion",
    "sphinx",
    "mkdocs",
    "mkdocs-material",
    "mkdocstrings",
    "jupyter",
    "notebook",
    "jupyterlab",
    // logging formatters referenced from dictConfig strings
    "python-json-logger",
    // pydantic-settings reads .env files through this
    "pydantic-settings",
];

const USED_WITHOUT_IMPORT_PREFIXES: &[&str] = &[
    "pytest-",
    "types-",
    "flake8-",
    "mypy-",
    "sphinx-",
    "sphinxcontrib-",
    "mkdocs-",
    "opentelemetry-instrumentation-",
    "django-stubs",
    "pre-commit-",
    "ruff-",
];

pub fn used_without_import(dist: &str) -> bool {
    USED_WITHOUT_IMPORT.contains(&dist)
        || USED_WITHOUT_IMPORT_PREFIXES
            .iter()
            .any(|p| dist.starts_with(p))
        || dist.ends_with("-stubs")
}

pub fn is_stub_dist(dist: &str) -> bool {
    dist.starts_with("types-") || dist.ends_with("-stubs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load() {
        assert_eq!(table_dists("yaml"), &["pyyaml".to_string()][..]);
        assert!(table_dists("psycopg2").contains(&"psycopg2-binary".to_string()));
        assert!(table_dists("psycopg2").contains(&"psycopg2".to_string()));
        assert_eq!(
            table_dists("google.cloud.storage.blob"),
            &["google-cloud-storage".to_string()][..]
        );
        assert!(top_rank("requests").is_some() && top_rank("reqeusts").is_none());
        let pairs: usize = TABLE.by_import.values().map(Vec::len).sum();
        assert!(pairs >= 150, "{pairs} pairs");
        assert!(on_pypi("requests") && on_pypi("httpcore2") && on_pypi("py2exe"));
        assert!(!on_pypi("fastapi-magic-helpers") && !on_pypi("reqeusts-totally-invented"));
        assert_eq!(NAMES_U32.len() % 4, 0);
        assert!(NAMES_U32.len() / 4 > 800_000);
    }

    /// The build-time tables hold exactly the data files' contents.
    #[test]
    fn build_time_tables_match_the_data() {
        let bin: &[u8] = include_bytes!("../../../data/pypi_names.bin");
        let mut decoded = Vec::new();
        let (mut value, mut shift, mut prev) = (0u64, 0u32, 0u64);
        for &b in bin {
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 != 0 {
                shift += 7;
                continue;
            }
            prev += value;
            decoded.push(prev as u32);
            (value, shift) = (0, 0);
        }
        let stored: Vec<u32> = NAMES_U32
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(stored, decoded);
        assert!(stored.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        let ranked: Vec<&str> = data_lines(TOP_TXT).collect();
        assert_eq!(TOP_BY_NAME.len(), ranked.len());
        for (rank, name) in ranked.iter().enumerate() {
            assert_eq!(top_rank(name), Some(rank), "{name}");
        }
        assert!(TOP_BY_NAME.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
