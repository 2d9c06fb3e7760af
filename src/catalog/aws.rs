//! Amazon Web Services: region codes as its cloud provider writes them into `topology.kubernetes.io/region`.

/// (region code, ISO 3166-1 alpha-2 country) for every public region.
pub(super) const REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "ZA"),     // Cape Town
    ("ap-east-1", "HK"),      // Hong Kong
    ("ap-east-2", "TW"),      // Taipei
    ("ap-northeast-1", "JP"), // Tokyo
    ("ap-northeast-2", "KR"), // Seoul
    ("ap-northeast-3", "JP"), // Osaka
    ("ap-south-1", "IN"),     // Mumbai
    ("ap-south-2", "IN"),     // Hyderabad
    ("ap-southeast-1", "SG"), // Singapore
    ("ap-southeast-2", "AU"), // Sydney
    ("ap-southeast-3", "ID"), // Jakarta
    ("ap-southeast-4", "AU"), // Melbourne
    ("ap-southeast-5", "MY"), // Kuala Lumpur
    ("ap-southeast-6", "NZ"), // Auckland
    ("ap-southeast-7", "TH"), // Bangkok
    ("ca-central-1", "CA"),   // Montreal
    ("ca-west-1", "CA"),      // Calgary
    ("cn-north-1", "CN"),     // Beijing
    ("cn-northwest-1", "CN"), // Ningxia
    ("eu-central-1", "DE"),   // Frankfurt
    ("eu-central-2", "CH"),   // Zurich
    ("eu-north-1", "SE"),     // Stockholm
    ("eu-south-1", "IT"),     // Milan
    ("eu-south-2", "ES"),     // Aragon
    ("eu-west-1", "IE"),      // Dublin
    ("eu-west-2", "GB"),      // London
    ("eu-west-3", "FR"),      // Paris
    ("il-central-1", "IL"),   // Tel Aviv
    ("me-central-1", "AE"),   // United Arab Emirates
    ("me-south-1", "BH"),     // Bahrain
    ("mx-central-1", "MX"),   // Queretaro
    ("sa-east-1", "BR"),      // Sao Paulo
    ("us-east-1", "US"),      // N. Virginia
    ("us-east-2", "US"),      // Ohio
    ("us-west-1", "US"),      // N. California
    ("us-west-2", "US"),      // Oregon
];
