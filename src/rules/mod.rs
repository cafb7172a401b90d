//! Rule traits and the registry. Adding a rule: write `src/rules/<family>/<rule>.rs`,
//! add one line to `REGISTRY` below, write `rules/<CODE>.md` and `fixtures/<family>/<CODE>.py`.

use std::sync::LazyLock;

use tree_sitter::Node;

pub mod context;
pub mod report;

use crate::diagnostic::Severity;
use crate::project::{FactSet, OtherFiles, Project, ProjectFinding};
pub use context::Cx;

/// Everything the rules read from the configuration: the project-wide
/// options and each family's own table.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub project: crate::project::Options,
    pub security: security::options::SecuritySettings,
    pub coverage: coverage::options::CoverageSettings,
    pub errors: errors::options::ErrorSettings,
    pub api: api::options::ApiSettings,
    pub naming: naming::options::NamingSettings,
}

pub mod api;
pub mod architecture;
pub mod asyncio;
pub mod config;
pub mod coverage;
pub mod database;
pub mod dependencies;
pub mod errors;
pub mod naming;
pub mod security;
pub mod suppression;
pub mod syntax;
pub mod tests;
pub mod typing;

/// Groups of rules; the code prefix selects a whole family (`--select SEC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Syntax,
    Suppression,
    Typing,
    Architecture,
    Async,
    Security,
    Database,
    Tests,
    Dependencies,
    /// The gate's own configuration (CFG001, reported by `--since`).
    Config,
    /// Test coverage from coverage.py's reports (COV).
    Coverage,
    /// What a task (fix, feature, refactor) owes the tests (TSK).
    Task,
    /// Error handling: which exceptions the layers raise (ERR).
    Errors,
    /// Naming conventions of the layers' classes and files (NAM).
    Naming,
    /// The API contract routes keep: the response envelope (API).
    Api,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Syntax => "syntax",
            Family::Suppression => "suppressions",
            Family::Typing => "typing",
            Family::Architecture => "architecture",
            Family::Async => "async",
            Family::Security => "security",
            Family::Database => "database",
            Family::Tests => "tests",
            Family::Dependencies => "dependencies",
            Family::Config => "configuration",
            Family::Coverage => "coverage",
            Family::Task => "task",
            Family::Errors => "errors",
            Family::Naming => "naming",
            Family::Api => "api",
        }
    }

    /// The family's module under `src/rules/` and its folder under `fixtures/`.
    pub fn module(self) -> &'static str {
        match self {
            Family::Async => "asyncio",
            Family::Suppression => "suppression",
            Family::Config => "config",
            Family::Task => "coverage",
            other => other.name(),
        }
    }

    pub fn prefix(self) -> &'static str {
        match self {
            Family::Syntax => "SYN",
            Family::Suppression => "SUP",
            Family::Typing => "TYP",
            Family::Architecture => "LAY",
            Family::Async => "ASY",
            Family::Security => "SEC",
            Family::Database => "DB",
            Family::Tests => "TST",
            Family::Dependencies => "DEP",
            Family::Config => "CFG",
            Family::Coverage => "COV",
            Family::Task => "TSK",
            Family::Errors => "ERR",
            Family::Naming => "NAM",
            Family::Api => "API",
        }
    }
}

/// Everything the tool says about a rule, independent of how it runs.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub family: Family,
    pub severity: Severity,
    pub fixable: bool,
    /// One line, no trailing period: shown by `fortress rules` and as SARIF shortDescription.
    pub summary: &'static str,
    /// What to do about a finding, one line: printed as the diagnostic's help.
    pub help: &'static str,
    /// `rules/<CODE>.md`, embedded.
    pub doc: &'static str,
    /// CVSS-like score for GitHub code scanning; only for security rules.
    pub security_severity: Option<&'static str>,
}

impl RuleMeta {
    /// SARIF/GitHub tags: the family, plus `security` where a security severity is set.
    pub fn tags(&self) -> Vec<&'static str> {
        let mut tags = vec![self.family.name()];
        if self.security_severity.is_some() && self.family != Family::Security {
            tags.push("security");
        }
        tags
    }
}

/// A per-file rule: instantiated once per file (so it may keep state), called
/// for every node whose kind is in `KINDS` during the engine's single walk.
pub trait Rule: Default + Send + 'static {
    const META: RuleMeta;
    const KINDS: &'static [&'static str];
    /// Project facts the rule's deferred questions ([`Cx::defer`]) need;
    /// most file rules ask none.
    const NEEDS: FactSet = FactSet::NONE;
    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>);
    /// Called once after the walk, with every import of the file known.
    fn finish(&mut self, _cx: &mut Cx<'_>) {}
}

/// Object-safe face of [`Rule`] used by the engine.
pub trait FileChecker: Send {
    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>);
    fn finish(&mut self, cx: &mut Cx<'_>);
}

impl<R: Rule> FileChecker for R {
    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        Rule::visit(self, node, cx);
    }
    fn finish(&mut self, cx: &mut Cx<'_>) {
        Rule::finish(self, cx);
    }
}

/// What a project rule sees: the project and where its findings go.
pub struct ProjectCx<'c> {
    pub project: &'c Project<'c>,
    /// The rule options of the run (each family's table).
    pub options: &'c Options,
    pub findings: &'c mut Vec<ProjectFinding>,
    /// Non-Python files (manifests) the rule reports in, and problems reading them.
    pub other: &'c mut OtherFiles,
}

/// A cross-file rule, fed the facts every file yielded during its walk.
pub trait ProjectRule: Default + Send + Sync + 'static {
    const META: RuleMeta;
    /// The per-file facts it reads (never empty).
    const NEEDS: FactSet;
    fn check(&self, cx: &mut ProjectCx<'_>);
}

/// Object-safe face of [`ProjectRule`] used by the engine.
pub trait ProjectChecker: Send + Sync {
    fn check(&self, cx: &mut ProjectCx<'_>);
}

impl<R: ProjectRule> ProjectChecker for R {
    fn check(&self, cx: &mut ProjectCx<'_>) {
        ProjectRule::check(self, cx);
    }
}

/// A rule the engine reports itself while reading, parsing or applying
/// suppressions (SYN, SUP003, SUP004).
pub trait EngineRule {
    const META: RuleMeta;
}

pub enum RuleKind {
    /// Reported by the engine itself (syntax errors, suppression bookkeeping).
    Engine,
    File {
        kinds: &'static [&'static str],
        /// Project facts its deferred questions need.
        needs: FactSet,
        make: fn() -> Box<dyn FileChecker>,
    },
    Project {
        needs: FactSet,
        rule: Box<dyn ProjectChecker>,
    },
    /// Fed coverage and test reports and the change, once per `check`.
    Report {
        rule: Box<dyn report::ReportChecker>,
    },
}

pub struct RuleEntry {
    pub meta: RuleMeta,
    pub kind: RuleKind,
}

fn file_rule<R: Rule>() -> RuleEntry {
    RuleEntry {
        meta: R::META,
        kind: RuleKind::File {
            kinds: R::KINDS,
            needs: R::NEEDS,
            make: || Box::new(R::default()),
        },
    }
}

fn engine_rule<R: EngineRule>() -> RuleEntry {
    RuleEntry {
        meta: R::META,
        kind: RuleKind::Engine,
    }
}

fn project_rule<R: ProjectRule>() -> RuleEntry {
    RuleEntry {
        meta: R::META,
        kind: RuleKind::Project {
            needs: R::NEEDS,
            rule: Box::new(R::default()),
        },
    }
}

fn report_rule<R: report::ReportRule>() -> RuleEntry {
    RuleEntry {
        meta: R::META,
        kind: RuleKind::Report {
            rule: Box::new(R::default()),
        },
    }
}

static REGISTRY: LazyLock<Vec<RuleEntry>> = LazyLock::new(|| {
    let mut rules = vec![
        engine_rule::<syntax::SyntaxError>(),
        engine_rule::<syntax::UnreadableFile>(),
        engine_rule::<syntax::UncheckedFile>(),
        engine_rule::<config::GateWeakened>(),
        file_rule::<suppression::blanket_type_ignore::BlanketTypeIgnore>(),
        file_rule::<suppression::blanket_noqa::BlanketNoqa>(),
        engine_rule::<suppression::InvalidSuppression>(),
        engine_rule::<suppression::UnusedSuppression>(),
        file_rule::<typing::optional_annotation::OptionalAnnotation>(),
        project_rule::<architecture::endpoint_imports_repository::EndpointImportsRepository>(),
        project_rule::<architecture::endpoint_uses_db_session::EndpointUsesDbSession>(),
        project_rule::<architecture::session_passthrough::SessionPassthrough>(),
        project_rule::<architecture::upward_import::UpwardImport>(),
        project_rule::<architecture::http_exception_in_service::HttpExceptionInService>(),
        project_rule::<architecture::business_logic_in_endpoint::BusinessLogicInEndpoint>(),
        project_rule::<architecture::import_cycle::ImportCycle>(),
        project_rule::<asyncio::sync_route_handler::SyncRouteHandler>(),
        file_rule::<tests::test_name_format::TestNameFormat>(),
        file_rule::<tests::tautological_assertion::TautologicalAssertion>(),
        file_rule::<tests::test_without_assertion::TestWithoutAssertion>(),
        file_rule::<tests::skip_without_reason::SkipWithoutReason>(),
        file_rule::<tests::mock_echo_assertion::MockEchoAssertion>(),
        file_rule::<tests::patched_db_in_api_test::PatchedDbInApiTest>(),
        project_rule::<dependencies::hallucinated_import::HallucinatedImport>(),
        project_rule::<dependencies::transitive_import::TransitiveImport>(),
        project_rule::<dependencies::unused_dependency::UnusedDependency>(),
        project_rule::<dependencies::dev_dependency_in_app::DevDependencyInApp>(),
        report_rule::<dependencies::new_dependency::NewDependency>(),
        file_rule::<asyncio::blocking_call::BlockingCall>(),
        file_rule::<asyncio::sync_file_io::SyncFileIo>(),
        file_rule::<security::sql_string_building::SqlStringBuilding>(),
        file_rule::<security::hardcoded_secret::HardcodedSecret>(),
        project_rule::<security::secret_in_response_model::SecretInResponseModel>(),
        project_rule::<security::orm_model_in_response::OrmModelInResponse>(),
        project_rule::<security::unauthenticated_write_route::UnauthenticatedWriteRoute>(),
        file_rule::<security::dangerous_call::DangerousCall>(),
        file_rule::<security::http_error_detail_leak::HttpErrorDetailLeak>(),
        file_rule::<security::sql_composition::SqlComposition>(),
        file_rule::<database::query_in_loop::QueryInLoop>(),
        file_rule::<database::multi_write::MultiWriteWithoutTransaction>(),
        file_rule::<typing::missing_type_hints::MissingTypeHints>(),
        file_rule::<typing::pydantic_v1_pattern::PydanticV1Pattern>(),
        file_rule::<typing::unvalidated_request_body::UnvalidatedRequestBody>(),
        report_rule::<coverage::total::TotalCoverage>(),
        report_rule::<coverage::new_code::NewCodeCoverage>(),
        report_rule::<coverage::tasks::FixWithoutTest>(),
        report_rule::<coverage::tasks::RefactorDropsTests>(),
        report_rule::<coverage::tasks::FeatureWithoutTests>(),
        report_rule::<tests::failing_test::FailingTest>(),
        project_rule::<errors::generic_exception_in_service::GenericExceptionInService>(),
        project_rule::<api::response_envelope::ResponseEnvelope>(),
        project_rule::<naming::layer_naming::LayerNaming>(),
    ];
    rules.sort_by(|a, b| a.meta.code.cmp(b.meta.code));
    rules
});

/// Every rule, sorted by code. A rule's index here is its id for the run.
pub fn registry() -> &'static [RuleEntry] {
    &REGISTRY
}

pub fn index_of(code: &str) -> Option<usize> {
    registry().binary_search_by(|r| r.meta.code.cmp(code)).ok()
}

pub fn meta(code: &str) -> Option<&'static RuleMeta> {
    index_of(code).map(|i| &registry()[i].meta)
}

/// Rules matched by a selector: `ALL`, a code, or a code prefix such as `SEC` or `TYP00`.
pub fn matching(selector: &str) -> Vec<usize> {
    let selector = selector.trim();
    registry()
        .iter()
        .enumerate()
        .filter(|(_, r)| selector == "ALL" || r.meta.code.starts_with(selector))
        .map(|(i, _)| i)
        .collect()
}

/// The first paragraph under `## <heading>` of a rule doc.
pub fn doc_section<'d>(doc: &'d str, heading: &str) -> Option<&'d str> {
    let marker = format!("## {heading}");
    let start = doc.find(&marker)? + marker.len();
    let body = doc[start..].trim_start_matches([' ', '\t', '\r', '\n']);
    let end = body
        .find("\n\n")
        .or_else(|| body.find("\n#"))
        .unwrap_or(body.len());
    let section = body[..end].trim();
    (!section.is_empty()).then_some(section)
}
