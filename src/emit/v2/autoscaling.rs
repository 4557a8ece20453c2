//! Autoscaling: the guide's workload variant autoscaler (WVA chart values `wva.*`, `va.*`,
//! `hpa.*`) as the scenario's `wva.*` keys, by the [`AUTOSCALING`] table.

use super::tables::{AUTOSCALING, ScaleTo, key};
use super::{Val, Writer, same_scalar};
use crate::model::{Deployment, Sourced};

pub(super) fn autoscaling(w: &mut Writer<'_>, d: &Deployment) {
    for (path, v) in &d.autoscaling {
        let rule = AUTOSCALING.iter().find(|(p, _)| p == path).map(|(_, r)| r);
        match rule {
            Some(ScaleTo::Key(to)) => w.put_s(to, v),
            Some(ScaleTo::PrometheusUrl) => prometheus_url(w, path, v),
            Some(ScaleTo::Fixed(fixed)) if same_scalar(fixed, &v.value) => w.handled(
                path,
                &v.origin,
                &format!("llm-d-benchmark sets it to {fixed} itself"),
            ),
            Some(ScaleTo::Fixed(fixed)) => w.unmapped(
                path,
                &v.origin,
                &format!(
                    "not expressible: llm-d-benchmark's WVA values set it to {fixed:?}, the guide to {:?}",
                    v.value
                ),
            ),
            Some(ScaleTo::Bench(why)) => w.handled(path, &v.origin, why),
            Some(ScaleTo::Refused(why)) => w.unmapped(path, &v.origin, why),
            None => w.unmapped(
                path,
                &v.origin,
                "not expressible: llm-d-benchmark's WVA values have no such setting",
            ),
        }
    }
}

/// `scheme://host[:port]` as `wva.prometheus.baseUrl` and `.port` (the template writes
/// `<baseUrl>:<port>`, so a URL with a path cannot be expressed).
fn prometheus_url(w: &mut Writer<'_>, path: &str, v: &Sourced<String>) {
    match split_url(&v.value) {
        Some((base, port)) => {
            let o = vec![v.origin.clone()];
            w.put(key::PROMETHEUS_URL, Val::Str(base), o.clone(), None);
            w.put(key::PROMETHEUS_PORT, Val::Typed(port), o, None);
        }
        None => w.unmapped(
            path,
            &v.origin,
            "not expressible: llm-d-benchmark writes the Prometheus URL as <baseUrl>:<port>, without a path",
        ),
    }
}

/// `https://host:9090` as (`https://host`, `9090`); without a port, the scheme's.
fn split_url(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return None;
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Some((format!("{scheme}://{host}"), port.to_string()))
        }
        Some(_) => None,
        None => {
            let port = match scheme {
                "https" => "443",
                "http" => "80",
                _ => return None,
            };
            Some((format!("{scheme}://{authority}"), port.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn prometheus_urls_split_into_base_and_port() {
        assert_eq!(
            split_url("https://prom.monitoring.svc.cluster.local:9090"),
            Some((
                "https://prom.monitoring.svc.cluster.local".into(),
                "9090".into()
            ))
        );
        assert_eq!(
            split_url("http://prom/"),
            Some(("http://prom".into(), "80".into()))
        );
        assert_eq!(split_url("https://prom:9090/api"), None);
        assert_eq!(split_url("prom:9090"), None);
        assert_eq!(split_url("https://prom:x"), None);
    }
}
