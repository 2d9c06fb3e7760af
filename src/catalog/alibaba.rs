//! Alibaba Cloud: region IDs as ACK nodes carry them in `topology.kubernetes.io/region`.

/// (region code, ISO 3166-1 alpha-2 country) for every public region.
pub(super) const REGIONS: &[(&str, &str)] = &[
    ("ap-northeast-1", "JP"), // Tokyo
    ("ap-northeast-2", "KR"), // Seoul
    ("ap-southeast-1", "SG"), // Singapore
    ("ap-southeast-3", "MY"), // Kuala Lumpur
    ("ap-southeast-5", "ID"), // Jakarta
    ("ap-southeast-6", "PH"), // Manila
    ("ap-southeast-7", "TH"), // Bangkok
    ("cn-beijing", "CN"),     // Beijing
    ("cn-chengdu", "CN"),     // Chengdu
    ("cn-fuzhou", "CN"),      // Fuzhou (local region)
    ("cn-guangzhou", "CN"),   // Guangzhou
    ("cn-hangzhou", "CN"),    // Hangzhou
    ("cn-heyuan", "CN"),      // Heyuan
    ("cn-hongkong", "HK"),    // Hong Kong
    ("cn-huhehaote", "CN"),   // Hohhot
    ("cn-nanjing", "CN"),     // Nanjing (local region)
    ("cn-qingdao", "CN"),     // Qingdao
    ("cn-shanghai", "CN"),    // Shanghai
    ("cn-shenzhen", "CN"),    // Shenzhen
    ("cn-wuhan-lr", "CN"),    // Wuhan (local region)
    ("cn-wulanchabu", "CN"),  // Ulanqab
    ("cn-zhangjiakou", "CN"), // Zhangjiakou
    ("eu-central-1", "DE"),   // Frankfurt
    ("eu-west-1", "GB"),      // London
    ("me-central-1", "SA"),   // Riyadh
    ("me-east-1", "AE"),      // Dubai
    ("na-south-1", "MX"),     // Mexico
    ("us-east-1", "US"),      // Virginia
    ("us-west-1", "US"),      // Silicon Valley
];
