//! Oracle Cloud Infrastructure: region identifiers as the OCI cloud controller manager writes them into
//! `topology.kubernetes.io/region` (the OCI API reports `iad` / `phx` for Ashburn / Phoenix, so both forms are listed).

/// (region code, ISO 3166-1 alpha-2 country) for every public region.
pub(super) const REGIONS: &[(&str, &str)] = &[
    ("af-casablanca-1", "MA"),   // Casablanca
    ("af-johannesburg-1", "ZA"), // Johannesburg
    ("ap-batam-1", "ID"),        // Batam
    ("ap-chuncheon-1", "KR"),    // Chuncheon
    ("ap-delhi-1", "IN"),        // Delhi
    ("ap-hyderabad-1", "IN"),    // Hyderabad
    ("ap-kulai-2", "MY"),        // Kulai, Johor
    ("ap-melbourne-1", "AU"),    // Melbourne
    ("ap-mumbai-1", "IN"),       // Mumbai
    ("ap-osaka-1", "JP"),        // Osaka
    ("ap-seoul-1", "KR"),        // Seoul
    ("ap-singapore-1", "SG"),    // Singapore
    ("ap-singapore-2", "SG"),    // Singapore West
    ("ap-sydney-1", "AU"),       // Sydney
    ("ap-tokyo-1", "JP"),        // Tokyo
    ("ca-montreal-1", "CA"),     // Montreal
    ("ca-toronto-1", "CA"),      // Toronto
    ("eu-amsterdam-1", "NL"),    // Amsterdam
    ("eu-frankfurt-1", "DE"),    // Frankfurt
    ("eu-madrid-1", "ES"),       // Madrid
    ("eu-madrid-3", "ES"),       // Madrid
    ("eu-marseille-1", "FR"),    // Marseille
    ("eu-milan-1", "IT"),        // Milan
    ("eu-paris-1", "FR"),        // Paris
    ("eu-stockholm-1", "SE"),    // Stockholm
    ("eu-turin-1", "IT"),        // Turin
    ("eu-zurich-1", "CH"),       // Zurich
    ("iad", "US"),               // Ashburn (short key the OCI API reports for us-ashburn-1)
    ("il-jerusalem-1", "IL"),    // Jerusalem
    ("me-abudhabi-1", "AE"),     // Abu Dhabi
    ("me-dubai-1", "AE"),        // Dubai
    ("me-jeddah-1", "SA"),       // Jeddah
    ("me-riyadh-1", "SA"),       // Riyadh
    ("mx-monterrey-1", "MX"),    // Monterrey
    ("mx-queretaro-1", "MX"),    // Queretaro
    ("phx", "US"),               // Phoenix (short key the OCI API reports for us-phoenix-1)
    ("sa-bogota-1", "CO"),       // Bogota
    ("sa-santiago-1", "CL"),     // Santiago
    ("sa-saopaulo-1", "BR"),     // Sao Paulo
    ("sa-valparaiso-1", "CL"),   // Valparaiso
    ("sa-vinhedo-1", "BR"),      // Vinhedo
    ("uk-cardiff-1", "GB"),      // Cardiff (Newport)
    ("uk-london-1", "GB"),       // London
    ("us-ashburn-1", "US"),      // Ashburn
    ("us-chicago-1", "US"),      // Chicago
    ("us-phoenix-1", "US"),      // Phoenix
    ("us-saltlake-2", "US"),     // Salt Lake City
    ("us-sanjose-1", "US"),      // San Jose
];
