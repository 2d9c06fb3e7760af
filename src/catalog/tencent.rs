//! Tencent Cloud: region IDs (`ap-jakarta`) plus the short region keys (`jkt`) TKE writes into
//! `topology.kubernetes.io/region`.

/// (region code, ISO 3166-1 alpha-2 country) for every public region.
pub(super) const REGIONS: &[(&str, &str)] = &[
    ("ap-bangkok", "TH"),       // Bangkok
    ("ap-beijing", "CN"),       // Beijing
    ("ap-chengdu", "CN"),       // Chengdu
    ("ap-chongqing", "CN"),     // Chongqing
    ("ap-guangzhou", "CN"),     // Guangzhou
    ("ap-hongkong", "HK"),      // Hong Kong
    ("ap-jakarta", "ID"),       // Jakarta
    ("ap-mumbai", "IN"),        // Mumbai
    ("ap-nanjing", "CN"),       // Nanjing
    ("ap-seoul", "KR"),         // Seoul
    ("ap-shanghai", "CN"),      // Shanghai
    ("ap-singapore", "SG"),     // Singapore
    ("ap-taipei", "TW"),        // Taipei
    ("ap-tokyo", "JP"),         // Tokyo
    ("bj", "CN"),               // Beijing (TKE short key for ap-beijing)
    ("cd", "CN"),               // Chengdu (TKE short key for ap-chengdu)
    ("cq", "CN"),               // Chongqing (TKE short key for ap-chongqing)
    ("de", "DE"),               // Frankfurt (TKE short key for eu-frankfurt)
    ("eu-frankfurt", "DE"),     // Frankfurt
    ("eu-moscow", "RU"),        // Moscow
    ("gz", "CN"),               // Guangzhou (TKE short key for ap-guangzhou)
    ("hk", "HK"),               // Hong Kong (TKE short key for ap-hongkong)
    ("in", "IN"),               // Mumbai (TKE short key for ap-mumbai)
    ("jkt", "ID"),              // Jakarta (TKE short key for ap-jakarta)
    ("jp", "JP"),               // Tokyo (TKE short key for ap-tokyo)
    ("kr", "KR"),               // Seoul (TKE short key for ap-seoul)
    ("na-ashburn", "US"),       // Virginia
    ("na-siliconvalley", "US"), // Silicon Valley
    ("na-toronto", "CA"),       // Toronto
    ("nj", "CN"),               // Nanjing (TKE short key for ap-nanjing)
    ("sa-saopaulo", "BR"),      // Sao Paulo
    ("sao", "BR"),              // Sao Paulo (TKE short key for sa-saopaulo)
    ("sg", "SG"),               // Singapore (TKE short key for ap-singapore)
    ("sh", "CN"),               // Shanghai (TKE short key for ap-shanghai)
    ("th", "TH"),               // Bangkok (TKE short key for ap-bangkok)
    ("tpe", "TW"),              // Taipei (TKE short key for ap-taipei)
    ("use", "US"),              // Virginia (TKE short key for na-ashburn)
    ("usw", "US"),              // Silicon Valley (TKE short key for na-siliconvalley)
];
