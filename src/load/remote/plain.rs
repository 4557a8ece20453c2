//! A values file at any https URL (no repository, no commit, no listing).

use std::collections::HashMap;
use std::sync::Mutex;

use super::github::lock;
use super::http::{Client, Kind};
use super::url::{self, Url, encode_path};
use crate::error::{Error, Result};
use crate::load::source::Source;

pub struct Plain {
    pub client: Client,
    pub url: Url,
    /// The folder the guide's paths are relative to (the file's, or its guide's for `ms-*/`).
    pub root: Vec<String>,
    /// The file given: the only one that gets the URL's query (a signed URL, say).
    pub entry: Vec<String>,
    pub shown: String,
    pub memo: Mutex<HashMap<String, String>>,
}

impl Plain {
    fn fetch(&self, path: &[String]) -> Result<String> {
        let query = match &self.url.query {
            Some(q) if path == self.entry.as_slice() => format!("?{q}"),
            _ => String::new(),
        };
        let address = format!("{}/{}{query}", self.url.origin(), encode_path(path));
        let reply = self
            .client
            .get(&address, Kind::Raw, "*/*", &path.join("/"))?;
        if !reply.ok() {
            let what = format!("file /{}", path.join("/"));
            return Err(reply.error(&self.shown, &what, false));
        }
        super::text_of(&address, &reply)
    }
}

impl Source for Plain {
    fn origin(&self) -> String {
        self.shown.clone()
    }

    fn read(&self, rel: &str) -> Result<String> {
        let path = url::join(&self.root, rel).ok_or_else(|| Error::Read {
            path: rel.into(),
            source: std::io::Error::other("leaves the server's root"),
        })?;
        let key = path.join("/");
        if let Some(text) = lock(&self.memo).get(&key) {
            return Ok(text.clone());
        }
        let text = self.fetch(&path)?;
        lock(&self.memo).insert(key, text.clone());
        Ok(text)
    }

    fn list(&self, rel: &str) -> Result<Vec<String>> {
        Err(Error::request_hint(
            "url",
            format!(
                "{}: cannot list folder {rel:?}: a plain URL names one file",
                self.shown
            ),
            "use a GitHub tree URL for a whole guide",
        ))
    }
}
