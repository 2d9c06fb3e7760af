use super::*;

#[test]
fn places_are_named_as_the_catalog_of_the_provider_names_them() {
    assert_eq!(place(Provider::Aws, "eu-central-1").as_deref(), Some("eu-central-1"));
    assert_eq!(place(Provider::Aws, "EU-CENTRAL-1"), None, "AWS regions are written in lower case");
    assert_eq!(place(Provider::Gcp, "ASIA-SOUTHEAST2").as_deref(), Some("asia-southeast2"));
    assert_eq!(place(Provider::Gcp, "eu").as_deref(), Some("EU"), "multi-regions in the catalog's spelling");
    assert_eq!(place(Provider::Gcp, "nam4").as_deref(), Some("NAM4"));
    assert_eq!(place(Provider::Azure, "West Europe").as_deref(), Some("westeurope"));
    assert_eq!(place(Provider::Azure, "Southeast Asia").as_deref(), Some("southeastasia"));
    assert_eq!(place(Provider::Azure, "EU"), None, "GCS multi-regions are not Azure's");
    assert_eq!(place(Provider::Aws, "asia-southeast2"), None, "another cloud's region");
}

#[test]
fn every_built_in_store_kind_has_a_rule() {
    let stores: Vec<&Kind> = kinds::KINDS.iter().filter(|k| matches!(k.reading, Reading::Store(_))).collect();
    assert_eq!(stores.len(), 15);
    for kind in stores {
        let rule = Rule::builtin(kind).expect("a provider the catalog has");
        if let Where::Path(path) = rule.location {
            assert!(path_steps(path).is_some(), "{path}");
        }
        assert!(kind.roles.judged && kind.roles.audited && kind.operations == ["CREATE", "UPDATE"]);
    }
}

#[test]
fn nouns_split_the_kind_into_words() {
    let noun = |kind| Rule { kind, provider: Provider::Aws, location: Where::Nowhere, replicas: Replicas::None }.noun();
    assert_eq!(noun("Bucket"), "bucket");
    assert_eq!(noun("StorageAccount"), "storage account");
    assert_eq!(noun("DBInstance"), "db instance");
    assert_eq!(noun("SQLInstance"), "sql instance");
    assert_eq!(noun("BucketReplicationConfiguration"), "bucket replication configuration");
}

#[test]
fn buckets_are_named_by_arn_or_by_name() {
    assert_eq!(bucket_name("arn:aws:s3:::citizens"), "citizens");
    assert_eq!(bucket_name("arn:aws-cn:s3:::citizens"), "citizens");
    assert_eq!(bucket_name("citizens"), "citizens");
}
