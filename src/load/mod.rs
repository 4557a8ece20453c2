//! Load: find a guide and read its files, from a local folder or a remote (GitHub, HTTPS).
//! Everything after this stage reads files through [`source::Source`].

pub mod remote;
pub mod source;
