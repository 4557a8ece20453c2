//! The binary, as users run it.
