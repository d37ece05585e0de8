//! The typed error of every operation.

use std::fmt;

/// Why an operation failed.
///
/// The [`name`](Error::name) of each variant is the error name that redis-sessions uses
/// (`missingParameter`, `invalidFormat`, `invalidValue`) or one of ours (`tooLarge`,
/// `conflict`, `storeError`). Bindings give JS errors that `name` and the
/// [`Display`](fmt::Display) text as their message. Every message names the field at fault.
///
/// ```
/// use session_core::Error;
/// let e = Error::missing("app");
/// assert_eq!(e.name(), "missingParameter");
/// assert_eq!(e.to_string(), "No app supplied");
/// ```
// Non-exhaustive: new failure kinds may come (a store's own); match with a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A required input was absent, `null` or empty.
    MissingParameter {
        /// The input field, e.g. `"app"`.
        field: &'static str,
    },
    /// An input did not have the required shape (`app`, `id`, `ip`, `token`, `handle`).
    InvalidFormat {
        /// The input field.
        field: &'static str,
    },
    /// An input had the right shape but a value outside its rules.
    InvalidValue {
        /// The input field (for a bad `d` value, `"d"`).
        field: &'static str,
        /// The full message, which names the field.
        message: String,
    },
    /// The session data would exceed a documented size limit.
    TooLarge {
        /// The full message, with the size and the limit.
        message: String,
    },
    /// A versioned write kept conflicting with concurrent writers, past the retry bound.
    Conflict {
        /// How many attempts were made.
        attempts: u32,
    },
    /// The store failed, or returned something the core cannot read.
    Store {
        /// What the store said.
        message: String,
    },
}

impl Error {
    /// `missingParameter` for `field`.
    pub fn missing(field: &'static str) -> Self {
        Self::MissingParameter { field }
    }

    /// `invalidFormat` for `field`.
    pub fn format(field: &'static str) -> Self {
        Self::InvalidFormat { field }
    }

    /// `invalidValue` for `field`, with a message that names it.
    pub fn value(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidValue {
            field,
            message: message.into(),
        }
    }

    /// `storeError` with the store's own message.
    pub fn store(message: impl Into<String>) -> Self {
        Self::Store {
            message: message.into(),
        }
    }

    /// The error's name, as redis-sessions spells it (or ours, for the new kinds).
    pub fn name(&self) -> &'static str {
        match self {
            Self::MissingParameter { .. } => "missingParameter",
            Self::InvalidFormat { .. } => "invalidFormat",
            Self::InvalidValue { .. } => "invalidValue",
            Self::TooLarge { .. } => "tooLarge",
            Self::Conflict { .. } => "conflict",
            Self::Store { .. } => "storeError",
        }
    }

    /// The input field at fault, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::MissingParameter { field }
            | Self::InvalidFormat { field }
            | Self::InvalidValue { field, .. } => Some(field),
            Self::TooLarge { .. } => Some("d"),
            Self::Conflict { .. } | Self::Store { .. } => None,
        }
    }

    /// True for errors caused by the caller's input (as opposed to the store or contention).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Self::Conflict { .. } | Self::Store { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingParameter { field } => write!(f, "No {field} supplied"),
            Self::InvalidFormat { field } => write!(f, "Invalid {field} format"),
            Self::InvalidValue { message, .. } | Self::TooLarge { message } => f.write_str(message),
            Self::Conflict { attempts } => write!(
                f,
                "The session changed concurrently {attempts} times in a row; the update was not applied"
            ),
            Self::Store { message } => write!(f, "Store error: {message}"),
        }
    }
}

impl std::error::Error for Error {}
