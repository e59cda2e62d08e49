//! The documented exit codes (also in `hta --help` and README.md).

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Usage,
    InvalidModel,
    RunFailed,
    Io,
}

impl Exit {
    pub fn code(self) -> ExitCode {
        ExitCode::from(match self {
            Exit::Usage => 2,
            Exit::InvalidModel => 3,
            Exit::RunFailed => 4,
            Exit::Io => 5,
        })
    }
}
