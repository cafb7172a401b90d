//! Test enforcement: coverage of the checked files and of the change
//! (COV), and what a fix, feature or refactor owes the tests (TSK). These
//! rules read coverage.py's and pytest's reports through
//! [`crate::testreport`]; they never run the tests.

pub mod new_code;
pub mod options;
pub mod tasks;
pub mod total;
