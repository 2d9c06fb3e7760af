//! IBM Cloud: region names as IBM Cloud Kubernetes Service nodes carry them in `topology.kubernetes.io/region`.

/// (region code, ISO 3166-1 alpha-2 country) for every public region.
pub(super) const REGIONS: &[(&str, &str)] = &[
    ("au-syd", "AU"),   // Sydney
    ("br-sao", "BR"),   // Sao Paulo
    ("ca-mon", "CA"),   // Montreal
    ("ca-tor", "CA"),   // Toronto
    ("eu-de", "DE"),    // Frankfurt
    ("eu-es", "ES"),    // Madrid
    ("eu-gb", "GB"),    // London
    ("jp-osa", "JP"),   // Osaka
    ("jp-tok", "JP"),   // Tokyo
    ("us-east", "US"),  // Washington DC
    ("us-south", "US"), // Dallas
];
