//! Target writers that read the deployment model ([`crate::model`]): the llm-d-benchmark v2
//! YAML scenario. (The bash scenario is still written by [`crate::mapping`] and
//! [`crate::render`].)

pub mod v2;
