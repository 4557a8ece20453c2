//! Read: a guide's files into values-shaped YAML trees that keep their lines.
//!
//! [`yaml`] parses with spans; [`template`] evaluates the Go templates of `helmfile.yaml.gotmpl`;
//! [`helmfile`] picks an environment's releases and [`values`] merges their values files as Helm
//! does; [`kustomize`] builds overlays; [`recipe`] reads a README's install commands;
//! [`guide`] puts these together into one [`guide::Model`] per variant; [`benchmark`] reads
//! the guide's own benchmark template; [`origin`] is the citation every value carries.

pub mod benchmark;
pub mod guide;
pub mod helmfile;
pub mod kustomize;
pub mod origin;
pub mod recipe;
pub mod template;
pub mod values;
pub mod yaml;
