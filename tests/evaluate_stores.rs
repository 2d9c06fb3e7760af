//! Cloud data stores declared as objects (SPEC §13): each provider family, each form a
//! location takes (region, multi-region, display name, annotation, replica), and the
//! policy's own store kinds.

mod common;
use common::*;
use sovereign::evaluate::{Caller, Confinement, Context, Holder, Replica, Verdict};
use sovereign::inventory::Inventory;
use sovereign::policy::PolicySet;

/// Citizen data of Indonesia, on AWS, Google Cloud and Azure; the gov-id tenant classified.
const INDONESIA: &str = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: indonesia-pdp }
spec:
  providers: [aws, gcp, azure]
  jurisdictions:
    - { name: ID, countries: [ID] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
  classify:
    - namespaceSelector: { matchLabels: { tenant: gov-id } }
      dataClasses: [citizen-pii]
"#;

/// Personal data of the EU, on every catalog; the gov-eu tenant classified.
const EU: &str = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: eu-gdpr }
spec:
  jurisdictions:
    - { name: EU, presets: [EU] }
  dataClasses:
    - { name: eu-personal, allowedJurisdictions: [EU] }
  classify:
    - namespaceSelector: { matchLabels: { tenant: gov-eu } }
      dataClasses: [eu-personal]
"#;

/// Singapore only (to see a replica leave a region that is itself allowed).
const SINGAPORE: &str = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: singapore }
spec:
  providers: [azure]
  jurisdictions:
    - { name: SG, countries: [SG] }
  dataClasses:
    - { name: sg-pii, allowedJurisdictions: [SG] }
"#;

const NAMESPACES: &str = r#"
apiVersion: v1
kind: Namespace
metadata: { name: gov-id, labels: { tenant: gov-id } }
---
apiVersion: v1
kind: Namespace
metadata: { name: gov-eu, labels: { tenant: gov-eu } }
"#;

fn cluster(extra: &str) -> Inventory {
    inventory(&format!("{NAMESPACES}---\n{extra}"))
}

fn both() -> PolicySet {
    policies(&[INDONESIA, EU])
}

/// A cluster-scoped Crossplane resource labelled with `class`.
fn crossplane(api_version: &str, kind: &str, class: &str, for_provider: &str) -> String {
    format!(
        r#"
apiVersion: {api_version}
kind: {kind}
metadata: {{ name: citizens, labels: {{ sovereignty.io/data-class: {class} }} }}
spec: {{ forProvider: {{ {for_provider} }} }}
"#
    )
}

/// A namespaced object in `namespace` with the given annotations and spec (flow mappings).
fn namespaced(api_version: &str, kind: &str, namespace: &str, annotations: &str, spec: &str) -> String {
    format!(
        r#"
apiVersion: {api_version}
kind: {kind}
metadata: {{ name: citizens, namespace: {namespace}, annotations: {{ {annotations} }} }}
spec: {{ {spec} }}
"#
    )
}

fn messages(decision: &sovereign::evaluate::Decision) -> String {
    decision.violations.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_crossplane_s3_bucket_is_in_the_country_of_its_region() {
    let inv = cluster("");
    let frankfurt = |class| crossplane("s3.aws.upbound.io/v1beta1", "Bucket", class, "region: eu-central-1");
    let denied = judge(&frankfurt("citizen-pii"), &inv, &both());
    assert_denied_saying(
        &denied,
        &[
            "Bucket citizens: data class \"citizen-pii\" (policy indonesia-pdp)",
            "it is stored in region eu-central-1, outside them",
            "Fix: set spec.forProvider.region to one of [",
            "ap-southeast-3",
        ],
    );
    assert_verdict(&judge(&frankfurt("eu-personal"), &inv, &both()), Verdict::Allow);
}

#[test]
fn a_store_region_is_the_region_not_its_zones_abroad() {
    // us-east-1 holds Local Zones abroad; a bucket there is in the US all the same.
    let us = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: us }
spec:
  providers: [aws]
  jurisdictions: [{ name: US, countries: [US] }]
  dataClasses: [{ name: us-data, allowedJurisdictions: [US] }]
"#;
    let bucket = crossplane("s3.aws.upbound.io/v1beta2", "Bucket", "us-data", "region: us-east-1");
    assert_verdict(&judge(&bucket, &cluster(""), &policies(&[us])), Verdict::Allow);
}

#[test]
fn every_crossplane_family_reads_its_own_location_field() {
    let inv = cluster("");
    let cases = [
        ("rds.aws.upbound.io/v1beta3", "Instance", "region: ap-southeast-3", Verdict::Allow),
        ("rds.aws.upbound.io/v1beta1", "Cluster", "region: us-east-1", Verdict::Deny),
        ("dynamodb.aws.upbound.io/v1beta1", "Table", "region: ap-southeast-3", Verdict::Allow),
        ("storage.gcp.upbound.io/v1beta2", "Bucket", "location: ASIA-SOUTHEAST2", Verdict::Allow),
        ("sql.gcp.upbound.io/v1beta1", "DatabaseInstance", "region: asia-southeast2", Verdict::Allow),
        ("sql.gcp.upbound.io/v1beta1", "DatabaseInstance", "region: europe-west3", Verdict::Deny),
        ("storage.azure.upbound.io/v1beta1", "Account", "location: Indonesia Central", Verdict::Allow),
        ("dbforpostgresql.azure.upbound.io/v1beta1", "FlexibleServer", "location: westeurope", Verdict::Deny),
    ];
    for (api_version, kind, location, verdict) in cases {
        let decision = judge(&crossplane(api_version, kind, "citizen-pii", location), &inv, &both());
        assert_eq!(decision.verdict, verdict, "{api_version} {kind} {location}: {decision:#?}");
    }
}

#[test]
fn a_gcs_multi_region_is_inside_only_when_every_country_of_it_is() {
    let inv = cluster("");
    let gcs = |class, location| crossplane("storage.gcp.upbound.io/v1beta1", "Bucket", class, location);
    assert_verdict(&judge(&gcs("eu-personal", "location: EU"), &inv, &both()), Verdict::Allow);
    assert_verdict(&judge(&gcs("eu-personal", "location: eu"), &inv, &both()), Verdict::Allow);
    assert_verdict(&judge(&gcs("eu-personal", "location: EUR4"), &inv, &both()), Verdict::Allow);
    let london = judge(&gcs("eu-personal", "location: EUR5"), &inv, &both());
    assert_denied_saying(&london, &["is stored in the gcp location EUR5 (dual-region: BE, GB)"]);
    let asia = judge(&gcs("citizen-pii", "location: ASIA"), &inv, &both());
    assert_denied_saying(&asia, &["the gcp location ASIA (multi-region: HK, ID, IN, JP"]);
}

#[test]
fn a_config_connector_bucket_in_us_is_outside_the_eu() {
    let bucket = namespaced("storage.cnrm.cloud.google.com/v1beta1", "StorageBucket", "gov-eu", "", "location: US");
    let decision = judge(&bucket, &cluster(""), &both());
    assert_denied_saying(
        &decision,
        &["StorageBucket gov-eu/citizens", "is stored in the gcp location US (multi-region: US)", "spec.location"],
    );
    let sql = namespaced("sql.cnrm.cloud.google.com/v1beta1", "SQLInstance", "gov-eu", "", "region: europe-west9");
    assert_verdict(&judge(&sql, &cluster(""), &both()), Verdict::Allow);
}

#[test]
fn azure_display_names_are_normalised() {
    let inv = cluster("");
    for location in ["West Europe", "westeurope", "WestEurope"] {
        let account = namespaced(
            "storage.azure.com/v1api20230101",
            "StorageAccount",
            "gov-eu",
            "",
            &format!("location: {location}, sku: {{ name: Standard_LRS }}"),
        );
        assert_verdict(&judge(&account, &inv, &both()), Verdict::Allow);
    }
}

#[test]
fn a_geo_redundant_storage_account_also_stores_data_in_the_paired_region() {
    let account = |sku: &str| {
        namespaced(
            "storage.azure.com/v1api20230101",
            "StorageAccount",
            "vault",
            "",
            &format!("location: southeastasia, sku: {{ name: {sku} }}"),
        )
    };
    let labelled = |yaml: String| yaml.replace("annotations: {  }", "labels: { sovereignty.io/data-class: sg-pii }");
    let set = policies(&[SINGAPORE]);
    let inv = Inventory::default();
    for sku in ["Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"] {
        let decision = judge(&labelled(account(sku)), &inv, &set);
        assert_denied_saying(
            &decision,
            &[&format!("its {sku} replica, in the region Azure pairs with southeastasia, is kept in region eastasia")],
        );
        assert_eq!(decision.violations.len(), 1, "the primary in Singapore is allowed");
    }
    for sku in ["Standard_LRS", "Standard_ZRS", "Premium_LRS"] {
        assert_verdict(&judge(&labelled(account(sku)), &inv, &set), Verdict::Allow);
    }
}

#[test]
fn crossplane_azure_accounts_name_redundancy_without_the_tier() {
    let set = policies(&[SINGAPORE]);
    let account = crossplane(
        "storage.azure.upbound.io/v1beta2",
        "Account",
        "sg-pii",
        "location: Southeast Asia, accountTier: Standard, accountReplicationType: RAGRS",
    );
    assert_denied_saying(&judge(&account, &Inventory::default(), &set), &["its RAGRS replica", "eastasia"]);
}

#[test]
fn a_region_without_a_published_pair_makes_the_replica_unknown() {
    let account = crossplane(
        "storage.azure.upbound.io/v1beta1",
        "Account",
        "citizen-pii",
        "location: indonesiacentral, accountReplicationType: GRS",
    );
    let decision = judge(&account, &cluster(""), &both());
    assert_denied_saying(&decision, &["Azure publishes no paired region for indonesiacentral"]);
}

#[test]
fn ack_reads_the_annotation_then_the_namespace_then_the_policy_default() {
    let bucket = |annotations: &str| {
        namespaced("s3.services.k8s.aws/v1alpha1", "Bucket", "gov-id", annotations, "name: citizens")
    };
    let set = both();
    let plain = cluster("");
    let none = judge(&bucket(""), &plain, &set);
    assert_denied_saying(
        &none,
        &["it names no region: no services.k8s.aws/region annotation", "annotate it services.k8s.aws/region: <region>"],
    );
    assert_verdict(&judge(&bucket("services.k8s.aws/region: ap-southeast-3"), &plain, &set), Verdict::Allow);
    assert_verdict(&judge(&bucket("services.k8s.aws/region: eu-west-1"), &plain, &set), Verdict::Deny);

    let annotated = inventory(
        r#"
apiVersion: v1
kind: Namespace
metadata: { name: gov-id, labels: { tenant: gov-id }, annotations: { services.k8s.aws/default-region: ap-southeast-3 } }
"#,
    );
    assert_verdict(&judge(&bucket(""), &annotated, &set), Verdict::Allow);
    let overridden = judge(&bucket("services.k8s.aws/region: us-west-2"), &annotated, &set);
    assert_denied_saying(&overridden, &["region us-west-2"]);

    let defaulted = policies(&[&format!("{INDONESIA}  stores: {{ ackDefaultRegion: ap-southeast-3 }}\n")]);
    assert_verdict(&judge(&bucket(""), &plain, &defaulted), Verdict::Allow);
    let db = namespaced("rds.services.k8s.aws/v1alpha1", "DBInstance", "gov-id", "", "engine: postgres");
    assert_verdict(&judge(&db, &plain, &defaulted), Verdict::Allow);
}

#[test]
fn an_ack_replication_rule_stores_data_in_the_destination_bucket_region() {
    let source = namespaced(
        "s3.services.k8s.aws/v1alpha1",
        "Bucket",
        "gov-id",
        "services.k8s.aws/region: ap-southeast-3",
        "name: citizens, replication: { role: arn:aws:iam::1:role/r, rules: [{ status: Enabled, destination: { bucket: \"arn:aws:s3:::citizens-copy\" } }] }",
    );
    let destination = |region: &str| {
        format!(
            "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {{ name: copy, namespace: backups, annotations: {{ services.k8s.aws/region: {region} }} }}\nspec: {{ name: citizens-copy }}\n"
        )
    };
    let set = both();
    let abroad = judge(&source, &cluster(&destination("us-east-1")), &set);
    assert_denied_saying(&abroad, &["its replica in bucket citizens-copy is kept in region us-east-1"]);
    assert_eq!(abroad.violations.len(), 1);
    assert_verdict(&judge(&source, &cluster(&destination("ap-southeast-3")), &set), Verdict::Allow);
    let absent = judge(&source, &cluster(""), &set);
    assert_denied_saying(&absent, &["destination bucket citizens-copy is not in the inventory"]);
    let disabled = source.replace("status: Enabled", "status: Disabled");
    assert_verdict(&judge(&disabled, &cluster(""), &set), Verdict::Allow);
}

#[test]
fn a_crossplane_replication_configuration_carries_its_source_bucket_class() {
    let buckets = r#"
apiVersion: s3.aws.upbound.io/v1beta1
kind: Bucket
metadata: { name: citizens, labels: { sovereignty.io/data-class: citizen-pii } }
spec: { forProvider: { region: ap-southeast-3 } }
---
apiVersion: s3.aws.upbound.io/v1beta1
kind: Bucket
metadata: { name: copy, annotations: { crossplane.io/external-name: citizens-copy-1 } }
spec: { forProvider: { region: eu-west-1 } }
"#;
    let replication = |destination: &str| {
        format!(
            r#"
apiVersion: s3.aws.upbound.io/v1beta2
kind: BucketReplicationConfiguration
metadata: {{ name: citizens-to-copy }}
spec:
  forProvider:
    region: ap-southeast-3
    bucketRef: {{ name: citizens }}
    rule: [{{ status: Enabled, destination: {destination} }}]
"#
        )
    };
    let inv = cluster(buckets);
    let by_arn = judge(&replication("{ bucket: \"arn:aws:s3:::citizens-copy-1\" }"), &inv, &both());
    assert_denied_saying(
        &by_arn,
        &[
            "BucketReplicationConfiguration citizens-to-copy",
            "\"citizen-pii\"",
            "bucket citizens-copy-1 is kept in region eu-west-1",
        ],
    );
    let by_ref = judge(&replication("[{ bucketRef: { name: copy } }]"), &inv, &both());
    assert_denied_saying(&by_ref, &["its replica in bucket copy is kept in region eu-west-1"]);
    let unknown = judge(&replication("{ bucket: \"arn:aws:s3:::elsewhere\" }"), &inv, &both());
    assert_denied_saying(&unknown, &["destination bucket elsewhere is not in the inventory"]);
    let unclassified = judge(&replication("{ bucket: \"arn:aws:s3:::elsewhere\" }"), &cluster(""), &both());
    assert_verdict(&unclassified, Verdict::Allow);
}

#[test]
fn a_location_no_catalog_knows_is_unknown_never_guessed() {
    let inv = cluster("");
    for (api_version, kind, location) in [
        ("s3.aws.upbound.io/v1beta1", "Bucket", "region: mars-1"),
        ("s3.aws.upbound.io/v1beta1", "Bucket", "region: EU-CENTRAL-1"),
        ("storage.gcp.upbound.io/v1beta1", "Bucket", "location: Jakarta"),
        ("storage.azure.upbound.io/v1beta1", "Account", "location: Europe"),
        ("s3.aws.upbound.io/v1beta1", "Bucket", "acl: private"),
    ] {
        let decision = judge(&crossplane(api_version, kind, "eu-personal", location), &inv, &both());
        assert_verdict(&decision, Verdict::Deny);
        let all = messages(&decision);
        assert!(all.contains("cannot be placed for certain"), "{location}: {all}");
    }
}

#[test]
fn a_policy_declares_store_kinds_of_its_own() {
    let declaring = format!(
        "{EU}  stores:\n    kinds:\n      - {{ group: example.org, kind: Vault, provider: aws, location: spec.region }}\n      - {{ group: example.org, kind: Safe, provider: gcp, location: metadata.annotations.example.org/location }}\n"
    );
    let set = policies(&[INDONESIA, &declaring]);
    let vault = |region: &str| namespaced("example.org/v1", "Vault", "gov-eu", "", &format!("region: {region}"));
    assert_verdict(&judge(&vault("eu-west-3"), &cluster(""), &set), Verdict::Allow);
    assert_denied_saying(
        &judge(&vault("us-east-2"), &cluster(""), &set),
        &["Vault gov-eu/citizens", "region us-east-2"],
    );
    let safe = |location: &str| {
        namespaced("example.org/v1", "Safe", "gov-eu", &format!("example.org/location: {location}"), "size: 1")
    };
    assert_verdict(&judge(&safe("EU"), &cluster(""), &set), Verdict::Allow);
    assert_verdict(&judge(&safe("US"), &cluster(""), &set), Verdict::Deny);
    // Not declared by any policy: left alone.
    let other = namespaced("example.org/v1", "Locker", "gov-eu", "", "region: us-east-2");
    assert_verdict(&judge(&other, &cluster(""), &set), Verdict::Allow);
}

#[test]
fn unclassified_stores_are_allowed_anywhere() {
    let bucket = crossplane("s3.aws.upbound.io/v1beta1", "Bucket", "x", "region: us-east-1")
        .replace("labels: { sovereignty.io/data-class: x }", "labels: {}");
    assert_verdict(&judge(&bucket, &cluster(""), &both()), Verdict::Allow);
}

#[test]
fn the_report_names_each_replica_as_a_holder_of_its_own() {
    let account = namespaced(
        "storage.azure.com/v1api20230101",
        "StorageAccount",
        "gov-id",
        "",
        "location: southeastasia, sku: { name: Standard_GRS }",
    );
    let ctx = Context::of(Caller::Report);
    let decision = judge_with(&account, &ctx, &cluster(""), &both());
    let holders: Vec<(String, &Confinement)> =
        decision.locations.iter().map(|l| (l.holder.label(), &l.confinement)).collect();
    assert_eq!(
        holders,
        [
            ("storage account".to_string(), &Confinement::Within(vec!["southeastasia".into()])),
            ("replica (Standard_GRS, paired region)".to_string(), &Confinement::Within(vec!["eastasia".into()])),
        ]
    );
    assert!(matches!(
        &decision.locations[1].holder,
        Holder::Replica(Replica::Paired { region, .. }) if region == "southeastasia"
    ));
}

#[test]
fn a_policy_with_a_bad_store_declaration_is_rejected_when_applied() {
    let bad = format!(
        "{EU}  stores:\n    ackDefaultRegion: westeurope\n    kinds:\n      - {{ group: example.org, kind: Vault, provider: aws, location: region }}\n"
    );
    let decision = judge(&bad, &cluster(""), &policies(&[INDONESIA]));
    assert_denied_saying(
        &decision,
        &[
            "SovereigntyPolicy eu-gdpr is invalid",
            "spec.stores.ackDefaultRegion \"westeurope\" is not an AWS region the catalog knows",
            "spec.stores.kinds[0].location \"region\" is not a dotted path",
        ],
    );
}

#[test]
fn a_crossplane_bucket_names_the_replicas_its_replication_configurations_make() {
    let kept = r#"
apiVersion: s3.aws.upbound.io/v1beta1
kind: Bucket
metadata: { name: copy, annotations: { crossplane.io/external-name: citizens-copy-1 } }
spec: { forProvider: { region: eu-west-1 } }
---
apiVersion: s3.aws.upbound.io/v1beta1
kind: BucketReplicationConfiguration
metadata: { name: citizens-to-copy }
spec:
  forProvider:
    region: ap-southeast-3
    bucket: citizens
    rule: [{ status: Enabled, destination: [{ bucket: "arn:aws:s3:::citizens-copy-1" }] }]
"#;
    let bucket = crossplane("s3.aws.upbound.io/v1beta1", "Bucket", "citizen-pii", "region: ap-southeast-3");
    let decision = judge(&bucket, &cluster(kept), &both());
    assert_denied_saying(
        &decision,
        &["Bucket citizens", "its replica in bucket citizens-copy-1 is kept in region eu-west-1"],
    );
    assert_eq!(decision.violations.len(), 1, "the bucket itself is in Jakarta");
    assert_verdict(&judge(&bucket, &cluster(""), &both()), Verdict::Allow);
}
