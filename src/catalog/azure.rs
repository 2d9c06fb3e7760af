//! Microsoft Azure: lowercase location names as AKS nodes carry them in `topology.kubernetes.io/region`.

/// (region code, ISO 3166-1 alpha-2 country) for every public region.
pub(super) const REGIONS: &[(&str, &str)] = &[
    ("australiacentral", "AU"),   // Canberra
    ("australiacentral2", "AU"),  // Canberra
    ("australiaeast", "AU"),      // Sydney (New South Wales)
    ("australiasoutheast", "AU"), // Melbourne (Victoria)
    ("austriaeast", "AT"),        // Vienna
    ("belgiumcentral", "BE"),     // Brussels
    ("brazilsouth", "BR"),        // Sao Paulo State
    ("brazilsoutheast", "BR"),    // Rio de Janeiro
    ("canadacentral", "CA"),      // Toronto
    ("canadaeast", "CA"),         // Quebec City
    ("centralindia", "IN"),       // Pune
    ("centralus", "US"),          // Iowa
    ("chilecentral", "CL"),       // Santiago
    ("denmarkeast", "DK"),        // Copenhagen
    ("eastasia", "HK"),           // Hong Kong
    ("eastus", "US"),             // Virginia
    ("eastus2", "US"),            // Virginia
    ("francecentral", "FR"),      // Paris
    ("francesouth", "FR"),        // Marseille
    ("germanynorth", "DE"),       // Berlin
    ("germanywestcentral", "DE"), // Frankfurt
    ("indonesiacentral", "ID"),   // Jakarta
    ("israelcentral", "IL"),      // Israel
    ("italynorth", "IT"),         // Milan
    ("japaneast", "JP"),          // Tokyo, Saitama
    ("japanwest", "JP"),          // Osaka
    ("jioindiacentral", "IN"),    // Nagpur
    ("jioindiawest", "IN"),       // Jamnagar
    ("koreacentral", "KR"),       // Seoul
    ("koreasouth", "KR"),         // Busan
    ("malaysiasouth", "MY"),      // Malaysia (restricted access)
    ("malaysiawest", "MY"),       // Kuala Lumpur
    ("mexicocentral", "MX"),      // Queretaro
    ("newzealandnorth", "NZ"),    // Auckland
    ("northcentralus", "US"),     // Illinois
    ("northeurope", "IE"),        // Dublin
    ("norwayeast", "NO"),         // Oslo
    ("norwaywest", "NO"),         // Stavanger
    ("polandcentral", "PL"),      // Warsaw
    ("qatarcentral", "QA"),       // Doha
    ("southafricanorth", "ZA"),   // Johannesburg
    ("southafricawest", "ZA"),    // Cape Town
    ("southcentralus", "US"),     // Texas
    ("southeastasia", "SG"),      // Singapore
    ("southindia", "IN"),         // Chennai
    ("spaincentral", "ES"),       // Madrid
    ("swedencentral", "SE"),      // Gavle
    ("swedensouth", "SE"),        // Malmo
    ("switzerlandnorth", "CH"),   // Zurich
    ("switzerlandwest", "CH"),    // Geneva
    ("taiwannorth", "TW"),        // Taipei
    ("taiwannorthwest", "TW"),    // Taiwan (restricted access)
    ("uaecentral", "AE"),         // Abu Dhabi
    ("uaenorth", "AE"),           // Dubai
    ("uksouth", "GB"),            // London
    ("ukwest", "GB"),             // Cardiff
    ("westcentralus", "US"),      // Wyoming
    ("westeurope", "NL"),         // Netherlands
    ("westindia", "IN"),          // Mumbai
    ("westus", "US"),             // California
    ("westus2", "US"),            // Washington
    ("westus3", "US"),            // Phoenix, Arizona
];
