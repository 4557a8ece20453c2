//! Target writers that read the deployment model ([`crate::model`]): the llm-d-benchmark v2
//! YAML scenario. (The bash scenario is still written by [`crate::map::bash`] and
//! [`crate::emit::bash`].)

pub mod bash;
pub mod v2;
