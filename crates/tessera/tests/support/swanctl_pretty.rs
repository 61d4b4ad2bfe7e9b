//! Parser for `swanctl --pretty` output: the vici message tree printed as nested sections,
//! `key = value` lines and `key = [` … `]` lists, one item per line. Line-based, so values with
//! spaces (X.509 DNs) survive, unlike `--raw`.

/// One vici section (`name { ... }`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// Section name as printed (e.g. the connection name, `child-sas`, `list-sa event`).
    pub name: String,
    /// `key = value` pairs in order.
    pub values: Vec<(String, String)>,
    /// `key = [ ... ]` lists in order.
    pub lists: Vec<(String, Vec<String>)>,
    /// Nested sections in order.
    pub sections: Vec<Section>,
}

impl Section {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The list `key`, empty if absent.
    pub fn list(&self, key: &str) -> &[String] {
        self.lists
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The nested section `name`, if present.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }
}

/// Parses the whole output into its top-level sections (e.g. one `list-sa event` per IKE SA,
/// then `list-sas reply`). Lines outside any section (warnings) are ignored. Unbalanced input
/// yields an error message.
pub fn parse(text: &str) -> Result<Vec<Section>, String> {
    let mut top = Vec::new();
    let mut stack: Vec<Section> = Vec::new();
    let mut list: Option<(String, Vec<String>)> = None;
    for (no, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some((key, items)) = list.as_mut() {
            if line == "]" {
                let done = (std::mem::take(key), std::mem::take(items));
                list = None;
                stack
                    .last_mut()
                    .ok_or_else(|| format!("line {}: list outside a section", no + 1))?
                    .lists
                    .push(done);
            } else {
                items.push(line.to_string());
            }
            continue;
        }
        if line == "}" {
            let done = stack
                .pop()
                .ok_or_else(|| format!("line {}: unbalanced '}}'", no + 1))?;
            match stack.last_mut() {
                Some(parent) => parent.sections.push(done),
                None => top.push(done),
            }
        } else if let Some(name) = line.strip_suffix('{') {
            stack.push(Section {
                name: name.trim().to_string(),
                ..Section::default()
            });
        } else if let Some((k, v)) = line
            .split_once(" = ")
            .or_else(|| line.strip_suffix(" =").map(|k| (k, "")))
        {
            let Some(cur) = stack.last_mut() else {
                continue;
            };
            if v == "[" {
                list = Some((k.to_string(), Vec::new()));
            } else {
                cur.values.push((k.to_string(), v.to_string()));
            }
        }
        // anything else outside a key/section structure is swanctl chatter: ignore it
    }
    if !stack.is_empty() || list.is_some() {
        return Err("unterminated section or list".to_string());
    }
    Ok(top)
}
