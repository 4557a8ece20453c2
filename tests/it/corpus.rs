//! Whole-corpus conversions.
