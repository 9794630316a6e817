use super::*;

fn lint(options: VaultOptions, records: &[&str]) -> Vec<VaultFinding> {
    let mut lint = VaultLint::new(options);
    records.iter().flat_map(|r| lint.feed(r.as_bytes())).collect()
}
