//! The catalog's data checked: shape, codes, and well-known facts per provider.

use super::*;

fn strings(codes: &[&str]) -> Vec<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

#[test]
fn every_table_is_sorted_unique_sourced_and_uses_iso_codes() {
    for provider in Provider::ALL {
        let table = provider.regions();
        assert!(!table.is_empty(), "{provider} has no region");
        for pair in table.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{provider}: {} before {} (sorted, unique)",
                pair[0].name,
                pair[1].name
            );
        }
        for r in table {
            assert!(
                iso::is_country(r.country),
                "{provider} {}: {:?} is not an ISO 3166-1 alpha-2 code",
                r.name,
                r.country
            );
            assert!(!r.city.is_empty(), "{provider} {}: no city", r.name);
            assert!(r.source.starts_with("https://"), "{provider} {}: no source", r.name);
            assert!(!r.name.is_empty() && !r.name.contains(char::is_whitespace), "{provider}: bad name {:?}", r.name);
        }
    }
}

#[test]
fn every_zone_belongs_to_a_catalogued_region_once_with_a_real_country() {
    assert!(zones().len() >= 20);
    for (i, z) in zones().iter().enumerate() {
        assert!(z.provider.region(z.region).is_some(), "zone {} names unknown region {}", z.name, z.region);
        assert!(iso::is_country(z.country), "zone {}: {:?}", z.name, z.country);
        assert!(z.source.starts_with("https://"), "zone {}", z.name);
        assert!(zones()[i + 1..].iter().all(|o| o.name != z.name), "zone {} twice", z.name);
        assert!(Provider::ALL.iter().all(|p| p.region(z.name).is_none()), "zone {} is also a region name", z.name);
    }
}

#[test]
fn well_known_regions_map_to_their_country() {
    let cases = [
        (Provider::Aws, "ap-southeast-3", "ID"),
        (Provider::Aws, "eu-central-1", "DE"),
        (Provider::Aws, "us-east-1", "US"),
        (Provider::Aws, "eu-west-2", "GB"),
        (Provider::Aws, "us-gov-west-1", "US"),
        (Provider::Aws, "us-gov-east-1", "US"),
        (Provider::Aws, "eusc-de-east-1", "DE"),
        (Provider::Aws, "cn-north-1", "CN"),
        (Provider::Aws, "cn-northwest-1", "CN"),
        (Provider::Aws, "ap-southeast-5", "MY"),
        (Provider::Aws, "ap-southeast-7", "TH"),
        (Provider::Aws, "mx-central-1", "MX"),
        (Provider::Gcp, "asia-southeast2", "ID"),
        (Provider::Gcp, "europe-west3", "DE"),
        (Provider::Gcp, "europe-west1", "BE"),
        (Provider::Gcp, "u-france-east1", "FR"),
        (Provider::Azure, "indonesiacentral", "ID"),
        (Provider::Azure, "germanywestcentral", "DE"),
        (Provider::Azure, "malaysiawest", "MY"),
        (Provider::Azure, "mexicocentral", "MX"),
        (Provider::Azure, "newzealandnorth", "NZ"),
        (Provider::Azure, "chilecentral", "CL"),
        (Provider::Azure, "chinaeast2", "CN"),
        (Provider::Azure, "usgovvirginia", "US"),
        (Provider::Alibaba, "ap-southeast-5", "ID"),
        (Provider::Alibaba, "ap-southeast-3", "MY"),
        (Provider::Alibaba, "eu-west-2", "FR"),
        (Provider::Oracle, "ap-batam-1", "ID"),
        (Provider::Oracle, "eu-frankfurt-2", "DE"),
        (Provider::Oracle, "eu-madrid-2", "ES"),
        (Provider::Oracle, "uk-gov-london-1", "GB"),
        (Provider::Oracle, "us-langley-1", "US"),
        (Provider::Ibm, "eu-de", "DE"),
        (Provider::Ibm, "jp-tok", "JP"),
        (Provider::Huawei, "ap-southeast-3", "SG"),
        (Provider::Huawei, "ap-southeast-4", "ID"),
        (Provider::Tencent, "ap-jakarta", "ID"),
        (Provider::Ovh, "GRA7", "FR"),
        (Provider::Scaleway, "fr-par", "FR"),
        (Provider::Stackit, "eu01", "DE"),
        (Provider::Ionos, "de-fra", "DE"),
        (Provider::Otc, "eu-de", "DE"),
        (Provider::Otc, "eu-nl", "NL"),
        (Provider::Hetzner, "hel1", "FI"),
        (Provider::Digitalocean, "sgp1", "SG"),
        (Provider::Linode, "id-cgk", "ID"),
        (Provider::Vultr, "waw", "PL"),
        (Provider::Exoscale, "ch-gva-2", "CH"),
        (Provider::Upcloud, "fi-hel1", "FI"),
    ];
    for (provider, region, country) in cases {
        assert_eq!(provider.country_of(region), Some(country), "{provider} {region}");
    }
}

#[test]
fn retired_regions_are_gone() {
    assert_eq!(Provider::Alibaba.country_of("ap-southeast-2"), None, "Alibaba closed Sydney");
    assert_eq!(Provider::Alibaba.country_of("ap-south-1"), None, "Alibaba closed Mumbai");
    assert_eq!(Provider::Azure.country_of("chinaeast"), None, "Azure retired China East (v1)");
    assert_eq!(Provider::Azure.country_of("usgoviowa"), None);
}

#[test]
fn local_zones_abroad_carry_their_own_country() {
    let cases = [
        ("us-east-1", "us-east-1-bue-1a", "AR"),
        ("us-east-1", "us-east-1-lim-1a", "PE"),
        ("us-east-1", "us-east-1-scl-1a", "CL"),
        ("us-east-1", "us-east-1-qro-1a", "MX"),
        ("ap-northeast-1", "ap-northeast-1-tpe-1a", "TW"),
        ("ap-southeast-1", "ap-southeast-1-bkk-1a", "TH"),
        ("ap-southeast-1", "ap-southeast-1-mnl-1a", "PH"),
        ("ap-southeast-2", "ap-southeast-2-akl-1a", "NZ"),
        ("eu-central-1", "eu-central-1-waw-1a", "PL"),
        ("af-south-1", "af-south-1-los-1a", "NG"),
    ];
    for (region, zone, country) in cases {
        assert_eq!(zone_in_region(region, zone, &[Provider::Aws]).map(|z| z.country), Some(country), "{zone}");
    }
    assert!(zone_in_region("us-east-2", "us-east-1-bue-1a", &[]).is_none(), "a zone belongs to one region");
    assert!(zone_in_region("us-east-1", "us-east-1-bue-1a", &[Provider::Gcp]).is_none(), "aws not consulted");
}

#[test]
fn ibm_classic_regions_span_countries() {
    let countries = |region| {
        let mut cs: Vec<&str> = Provider::Ibm.zones_abroad(region).iter().map(|z| z.country).collect();
        cs.sort_unstable();
        cs
    };
    assert_eq!(countries("eu-de"), ["FR", "IT", "NL"]);
    assert_eq!(countries("jp-tok"), ["IN", "SG"]);
    assert_eq!(countries("us-south"), ["BR"]);
    assert_eq!(countries("us-east"), ["CA", "CA"]);
    assert!(Provider::Ibm.zones_abroad("eu-gb").is_empty());
}

#[test]
fn a_colliding_name_is_ambiguous_without_providers() {
    match resolve("ap-southeast-3", &[]) {
        Resolution::Ambiguous(known) => {
            assert!(known.contains(&(Provider::Aws, "ID")));
            assert!(known.contains(&(Provider::Huawei, "SG")));
            assert!(known.contains(&(Provider::Alibaba, "MY")));
        }
        other => panic!("expected ambiguity, got {other:?}"),
    }
}

#[test]
fn eu_west_2_is_london_on_aws_and_paris_on_alibaba() {
    match resolve("eu-west-2", &[]) {
        Resolution::Ambiguous(known) => assert_eq!(known, [(Provider::Aws, "GB"), (Provider::Alibaba, "FR")]),
        other => panic!("expected ambiguity, got {other:?}"),
    }
    assert_eq!(resolve("eu-west-2", &[Provider::Aws]), Resolution::Country("GB"));
    assert!(!regions_in(&strings(&["GB"]), &[]).contains("eu-west-2"));
    assert!(regions_in(&strings(&["GB", "FR"]), &[]).contains("eu-west-2"), "inside whichever cloud it is");
}

#[test]
fn naming_the_provider_resolves_a_colliding_name() {
    assert_eq!(resolve("ap-southeast-3", &[Provider::Aws]), Resolution::Country("ID"));
    assert_eq!(resolve("ap-southeast-3", &[Provider::Huawei]), Resolution::Country("SG"));
}

#[test]
fn selected_catalogs_that_disagree_stay_ambiguous() {
    assert!(matches!(resolve("ap-southeast-3", &[Provider::Aws, Provider::Huawei]), Resolution::Ambiguous(_)));
}

#[test]
fn unknown_names_are_never_guessed() {
    assert_eq!(resolve("onprem-jakarta", &[]), Resolution::Unknown);
}

#[test]
fn zone_names_resolve_to_the_zone_country() {
    assert_eq!(resolve("us-east-1-bue-1a", &[]), Resolution::Country("AR"));
    assert_eq!(resolve("par01", &[Provider::Ibm]), Resolution::Country("FR"));
}

#[test]
fn countries_expand_to_unambiguous_regions_only() {
    let all = regions_in(&strings(&["ID"]), &[]);
    assert!(all.contains("asia-southeast2"));
    assert!(all.contains("ap-jakarta"));
    assert!(all.contains("id-cgk"));
    assert!(!all.contains("ap-southeast-3"), "ambiguous name must be excluded");
    let aws = regions_in(&strings(&["ID"]), &[Provider::Aws]);
    assert!(aws.contains("ap-southeast-3"));
    assert!(!aws.contains("asia-southeast2"), "gcp not consulted");
}

#[test]
fn country_codes_match_without_regard_to_case() {
    assert_eq!(regions_in(&strings(&["id"]), &[]), regions_in(&strings(&["ID"]), &[]));
}

#[test]
fn a_spanning_region_resolves_to_its_zones_in_each_country() {
    let us = resolve_countries(&strings(&["US"]), &[Provider::Aws]);
    assert!(us.places.contains("us-east-1"), "its zones at home");
    assert!(!us.places.contains("us-east-1-bue-1a"));
    let why = us.unresolved.iter().find(|u| u.name == "us-east-1").expect("us-east-1 is explained");
    assert!(why.reason.contains("us-east-1-bue-1a (Buenos Aires (Local Zone), AR)"), "{}", why.reason);
    let ar = resolve_countries(&strings(&["AR"]), &[Provider::Aws]);
    assert_eq!(ar.places, BTreeSet::from(["us-east-1-bue-1a".to_string()]));
    let fr = resolve_countries(&strings(&["FR"]), &[Provider::Ibm]);
    assert_eq!(fr.places, BTreeSet::from(["par01".to_string()]));
    assert!(fr.unresolved.iter().any(|u| u.name == "eu-de" && u.reason.contains("only its zone par01")));
    let americas = resolve_countries(&strings(&["US", "AR", "PE", "CL", "MX"]), &[Provider::Aws]);
    assert!(americas.places.contains("us-east-1") && americas.places.contains("us-east-1-lim-1a"));
    assert!(americas.unresolved.iter().all(|u| u.name != "us-east-1"), "whole region inside");
}

#[test]
fn every_provider_key_parses_and_prints_the_same() {
    for p in Provider::ALL {
        assert_eq!(Provider::parse(p.as_str()), Some(p));
        assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
    }
    assert_eq!(Provider::parse("AWS"), Some(Provider::Aws));
    assert_eq!(Provider::parse("nope"), None);
}
