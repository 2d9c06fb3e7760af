//! Huawei Cloud: region IDs as CCE nodes carry them in `topology.kubernetes.io/region`.

/// (region code, ISO 3166-1 alpha-2 country) for every public region.
pub(super) const REGIONS: &[(&str, &str)] = &[
    ("ae-ad-1", "AE"),          // Abu Dhabi
    ("af-north-1", "EG"),       // Cairo
    ("af-south-1", "ZA"),       // Johannesburg
    ("ap-southeast-1", "HK"),   // Hong Kong
    ("ap-southeast-2", "TH"),   // Bangkok
    ("ap-southeast-3", "SG"),   // Singapore
    ("ap-southeast-4", "ID"),   // Jakarta
    ("ap-southeast-5", "PH"),   // Manila
    ("cn-east-2", "CN"),        // Shanghai2
    ("cn-east-3", "CN"),        // Shanghai1
    ("cn-east-4", "CN"),        // CN East2 (Wuhu)
    ("cn-east-5", "CN"),        // Qingdao
    ("cn-north-1", "CN"),       // Beijing1
    ("cn-north-11", "CN"),      // North China 3 (Ulanqab)
    ("cn-north-12", "CN"),      // North China 3 (Ulanqab)
    ("cn-north-2", "CN"),       // Beijing2
    ("cn-north-4", "CN"),       // Beijing4
    ("cn-north-9", "CN"),       // Ulanqab1
    ("cn-south-1", "CN"),       // Guangzhou
    ("cn-south-2", "CN"),       // Shenzhen
    ("cn-south-4", "CN"),       // Guangzhou-InvitationOnly
    ("cn-southwest-2", "CN"),   // Guiyang1
    ("cn-southwest-3", "CN"),   // Southwest China
    ("eu-west-0", "FR"),        // Paris
    ("eu-west-101", "IE"),      // Dublin
    ("la-north-2", "MX"),       // Mexico City2
    ("la-south-2", "CL"),       // Santiago
    ("me-east-1", "SA"),        // Riyadh
    ("my-kualalumpur-1", "MY"), // Kuala Lumpur
    ("na-mexico-1", "MX"),      // Mexico City1
    ("ru-moscow-1", "RU"),      // Moscow
    ("ru-northwest-2", "RU"),   // Moscow2
    ("sa-brazil-1", "BR"),      // Sao Paulo1
    ("tr-west-1", "TR"),        // Istanbul
];
