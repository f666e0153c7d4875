//! How a PostgreSQL store connects: pool settings, the schema its tables live
//! in, and the driver configuration built from a `postgres://` URL.

use std::str::FromStr;
use std::time::Duration;

use crate::errors::ConnectError;

/// The longest schema name accepted: PostgreSQL keeps 63 bytes of a name, and
/// the wake-up channel adds a prefix to it.
pub const MAX_SCHEMA_LEN: usize = 40;

/// Settings for [`PostgresStore::connect`](crate::PostgresStore::connect).
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// The most pooled connections open at once (the LISTEN connection is extra).
    pub pool_size: usize,
    /// The schema the tables live in, created if missing; `None` uses the
    /// first schema of the server's default `search_path` (usually `public`).
    /// ASCII letters, digits and `_`, not starting with a digit, at most
    /// [`MAX_SCHEMA_LEN`] bytes; case is kept.
    pub schema: Option<String>,
    /// How long a call waits for a free pooled connection before giving up as unavailable.
    pub acquire_timeout: Duration,
    /// How long opening one connection may take.
    pub connect_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            schema: None,
            acquire_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl PostgresOptions {
    /// These options with their tables in `schema`.
    pub fn with_schema(self, schema: impl Into<String>) -> Self {
        Self {
            schema: Some(schema.into()),
            ..self
        }
    }
}

/// Refuses schema names that would need quoting rules beyond double quotes,
/// or that PostgreSQL would cut short.
pub(crate) fn check_schema(schema: &str) -> Result<(), ConnectError> {
    let invalid = |reason| ConnectError::InvalidSchema {
        schema: schema.to_owned(),
        reason,
    };
    if schema.is_empty() || schema.len() > MAX_SCHEMA_LEN {
        return Err(invalid("it must be 1 to 40 bytes long"));
    }
    if !schema
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(invalid("only ASCII letters, digits and _ are allowed"));
    }
    if schema.starts_with(|c: char| c.is_ascii_digit()) || schema.starts_with("pg_") {
        return Err(invalid("it must not start with a digit or pg_"));
    }
    Ok(())
}

/// The driver configuration for `url`: every connection (pooled or LISTEN)
/// starts with `search_path` set to the schema, so no statement names it,
/// and with the planner settings the store's statements want.
pub(crate) fn driver_config(
    url: &str,
    options: &PostgresOptions,
) -> Result<tokio_postgres::Config, ConnectError> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(ConnectError::InvalidUrl)?;
    // Startup options cost no round trip. The statements here are short and
    // driven by arrays whose length only a custom plan sees (a generic plan
    // guesses ten rows and may loop over a batch per row); JIT compiling them
    // would take longer than running them; and they find a batch by primary
    // key probes, which the default random_page_cost (priced for spinning
    // disks) makes look dearer than scanning a table of some 100,000 rows.
    let mut settings =
        "-c jit=off -c plan_cache_mode=force_custom_plan -c random_page_cost=1.1".to_owned();
    if let Some(schema) = &options.schema {
        check_schema(schema)?;
        // The quotes keep the name's case.
        settings.push_str(&format!(" -c search_path=\"{schema}\""));
    }
    let merged = match config.get_options() {
        Some(given) if !given.trim().is_empty() => format!("{given} {settings}"),
        _ => settings,
    };
    config.options(merged);
    if config.get_application_name().is_none() {
        config.application_name("rustqueue");
    }
    config.connect_timeout(options.connect_timeout);
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["rq", "Tenant_7", "_x", &"a".repeat(MAX_SCHEMA_LEN)] {
            check_schema(good).expect(good);
        }
        for bad in [
            "",
            "7up",
            "pg_temp",
            "a-b",
            "a b",
            "x\"y",
            "é",
            &"a".repeat(MAX_SCHEMA_LEN + 1),
        ] {
            let err = check_schema(bad).expect_err(bad);
            assert!(matches!(err, ConnectError::InvalidSchema { .. }), "{err}");
        }
    }

    #[test]
    fn schema_goes_into_startup_options() {
        let options = PostgresOptions::default().with_schema("Tenant_7");
        let config = driver_config(
            "postgres://u@localhost/db?options=-c%20work_mem%3D4MB",
            &options,
        )
        .expect("valid");
        assert_eq!(
            config.get_options(),
            Some(
                "-c work_mem=4MB -c jit=off -c plan_cache_mode=force_custom_plan \
                 -c random_page_cost=1.1 -c search_path=\"Tenant_7\""
            )
        );
        assert_eq!(config.get_application_name(), Some("rustqueue"));
        let plain = driver_config(
            "postgres://u@localhost/db?application_name=me",
            &Default::default(),
        )
        .expect("valid");
        assert_eq!(
            plain.get_options(),
            Some("-c jit=off -c plan_cache_mode=force_custom_plan -c random_page_cost=1.1")
        );
        assert_eq!(plain.get_application_name(), Some("me"));
    }

    #[test]
    fn bad_urls_are_refused() {
        let err = driver_config("postgres://u@localhost/db?nonsense=1", &Default::default())
            .expect_err("unknown option");
        assert!(matches!(err, ConnectError::InvalidUrl(_)), "{err}");
    }
}
