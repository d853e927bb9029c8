//! ISO 4217 as data: every active alpha-3 code hostpay accepts, with its minor unit.

/// Every active ISO 4217 alpha-3 code (fund, precious-metal and testing codes included),
/// sorted, with its minor unit: how many digits an amount in that currency has after the
/// decimal point. `None` where ISO 4217 gives none ("N.A.": precious metals, bond-market
/// units, SDR, testing codes...).
#[rustfmt::skip]
pub(super) const MINOR_UNITS: &[(&str, Option<u8>)] = &[
    ("AED", Some(2)), ("AFN", Some(2)), ("ALL", Some(2)), ("AMD", Some(2)), ("ANG", Some(2)),
    ("AOA", Some(2)), ("ARS", Some(2)), ("AUD", Some(2)), ("AWG", Some(2)), ("AZN", Some(2)),
    ("BAM", Some(2)), ("BBD", Some(2)), ("BDT", Some(2)), ("BGN", Some(2)), ("BHD", Some(3)),
    ("BIF", Some(0)), ("BMD", Some(2)), ("BND", Some(2)), ("BOB", Some(2)), ("BOV", Some(2)),
    ("BRL", Some(2)), ("BSD", Some(2)), ("BTN", Some(2)), ("BWP", Some(2)), ("BYN", Some(2)),
    ("BZD", Some(2)), ("CAD", Some(2)), ("CDF", Some(2)), ("CHE", Some(2)), ("CHF", Some(2)),
    ("CHW", Some(2)), ("CLF", Some(4)), ("CLP", Some(0)), ("CNY", Some(2)), ("COP", Some(2)),
    ("COU", Some(2)), ("CRC", Some(2)), ("CUC", Some(2)), ("CUP", Some(2)), ("CVE", Some(2)),
    ("CZK", Some(2)), ("DJF", Some(0)), ("DKK", Some(2)), ("DOP", Some(2)), ("DZD", Some(2)),
    ("EGP", Some(2)), ("ERN", Some(2)), ("ETB", Some(2)), ("EUR", Some(2)), ("FJD", Some(2)),
    ("FKP", Some(2)), ("GBP", Some(2)), ("GEL", Some(2)), ("GHS", Some(2)), ("GIP", Some(2)),
    ("GMD", Some(2)), ("GNF", Some(0)), ("GTQ", Some(2)), ("GYD", Some(2)), ("HKD", Some(2)),
    ("HNL", Some(2)), ("HTG", Some(2)), ("HUF", Some(2)), ("IDR", Some(2)), ("ILS", Some(2)),
    ("INR", Some(2)), ("IQD", Some(3)), ("IRR", Some(2)), ("ISK", Some(0)), ("JMD", Some(2)),
    ("JOD", Some(3)), ("JPY", Some(0)), ("KES", Some(2)), ("KGS", Some(2)), ("KHR", Some(2)),
    ("KMF", Some(0)), ("KPW", Some(2)), ("KRW", Some(0)), ("KWD", Some(3)), ("KYD", Some(2)),
    ("KZT", Some(2)), ("LAK", Some(2)), ("LBP", Some(2)), ("LKR", Some(2)), ("LRD", Some(2)),
    ("LSL", Some(2)), ("LYD", Some(3)), ("MAD", Some(2)), ("MDL", Some(2)), ("MGA", Some(2)),
    ("MKD", Some(2)), ("MMK", Some(2)), ("MNT", Some(2)), ("MOP", Some(2)), ("MRU", Some(2)),
    ("MUR", Some(2)), ("MVR", Some(2)), ("MWK", Some(2)), ("MXN", Some(2)), ("MXV", Some(2)),
    ("MYR", Some(2)), ("MZN", Some(2)), ("NAD", Some(2)), ("NGN", Some(2)), ("NIO", Some(2)),
    ("NOK", Some(2)), ("NPR", Some(2)), ("NZD", Some(2)), ("OMR", Some(3)), ("PAB", Some(2)),
    ("PEN", Some(2)), ("PGK", Some(2)), ("PHP", Some(2)), ("PKR", Some(2)), ("PLN", Some(2)),
    ("PYG", Some(0)), ("QAR", Some(2)), ("RON", Some(2)), ("RSD", Some(2)), ("RUB", Some(2)),
    ("RWF", Some(0)), ("SAR", Some(2)), ("SBD", Some(2)), ("SCR", Some(2)), ("SDG", Some(2)),
    ("SEK", Some(2)), ("SGD", Some(2)), ("SHP", Some(2)), ("SLE", Some(2)), ("SLL", Some(2)),
    ("SOS", Some(2)), ("SRD", Some(2)), ("SSP", Some(2)), ("STN", Some(2)), ("SVC", Some(2)),
    ("SYP", Some(2)), ("SZL", Some(2)), ("THB", Some(2)), ("TJS", Some(2)), ("TMT", Some(2)),
    ("TND", Some(3)), ("TOP", Some(2)), ("TRY", Some(2)), ("TTD", Some(2)), ("TWD", Some(2)),
    ("TZS", Some(2)), ("UAH", Some(2)), ("UGX", Some(0)), ("USD", Some(2)), ("USN", Some(2)),
    ("UYI", Some(0)), ("UYU", Some(2)), ("UYW", Some(4)), ("UZS", Some(2)), ("VED", Some(2)),
    ("VES", Some(2)), ("VND", Some(0)), ("VUV", Some(0)), ("WST", Some(2)), ("XAF", Some(0)),
    ("XAG", None), ("XAU", None), ("XBA", None), ("XBB", None), ("XBC", None),
    ("XBD", None), ("XCD", Some(2)), ("XCG", Some(2)), ("XDR", None), ("XOF", Some(0)),
    ("XPD", None), ("XPF", Some(0)), ("XPT", None), ("XSU", None), ("XTS", None),
    ("XUA", None), ("YER", Some(2)), ("ZAR", Some(2)), ("ZMW", Some(2)), ("ZWG", Some(2)),
    ("ZWL", Some(2)),
];

/// A code as a number that sorts as the code does (three upper-case ASCII letters, big
/// end first), so a lookup compares integers, not strings.
const fn key(code: &[u8]) -> u32 {
    ((code[0] as u32) << 16) | ((code[1] as u32) << 8) | (code[2] as u32)
}

/// [`MINOR_UNITS`]' codes as [`key`]s, in the same (sorted) order.
const KEYS: [u32; MINOR_UNITS.len()] = {
    let mut keys = [0; MINOR_UNITS.len()];
    let mut index = 0;
    while index < MINOR_UNITS.len() {
        keys[index] = key(MINOR_UNITS[index].0.as_bytes());
        index += 1;
    }
    keys
};

/// The minor unit of `code`; the outer `None` when `code` is not in the table.
pub(super) fn minor_units(code: &str) -> Option<Option<u8>> {
    let bytes = code.as_bytes();
    if bytes.len() != 3 {
        return None;
    }
    KEYS.binary_search(&key(bytes))
        .ok()
        .and_then(|index| MINOR_UNITS.get(index))
        .map(|(_, minor)| *minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_found_by_its_key() {
        assert!(KEYS.windows(2).all(|pair| pair[0] < pair[1]));
        for (code, minor) in MINOR_UNITS {
            assert_eq!(minor_units(code), Some(*minor), "{code}");
        }
        for unknown in ["", "US", "USDX", "usd", "AAA", "ZZZ"] {
            assert_eq!(minor_units(unknown), None, "{unknown}");
        }
    }

    /// An excerpt of ISO 4217 List One (SIX, the maintenance agency): the codes hostpay
    /// supports, as `code numeric-code minor-unit currency-name`, "N.A." where the list has
    /// no minor unit. Kept apart from [`MINOR_UNITS`] on purpose: the test compares the two.
    const ISO_4217_LIST_ONE: &str = "\
AED 784 2 UAE Dirham
AFN 971 2 Afghani
ALL 008 2 Lek
AMD 051 2 Armenian Dram
ANG 532 2 Netherlands Antillean Guilder
AOA 973 2 Kwanza
ARS 032 2 Argentine Peso
AUD 036 2 Australian Dollar
AWG 533 2 Aruban Florin
AZN 944 2 Azerbaijan Manat
BAM 977 2 Convertible Mark
BBD 052 2 Barbados Dollar
BDT 050 2 Taka
BGN 975 2 Bulgarian Lev
BHD 048 3 Bahraini Dinar
BIF 108 0 Burundi Franc
BMD 060 2 Bermudian Dollar
BND 096 2 Brunei Dollar
BOB 068 2 Boliviano
BOV 984 2 Mvdol
BRL 986 2 Brazilian Real
BSD 044 2 Bahamian Dollar
BTN 064 2 Ngultrum
BWP 072 2 Pula
BYN 933 2 Belarusian Ruble
BZD 084 2 Belize Dollar
CAD 124 2 Canadian Dollar
CDF 976 2 Congolese Franc
CHE 947 2 WIR Euro
CHF 756 2 Swiss Franc
CHW 948 2 WIR Franc
CLF 990 4 Unidad de Fomento
CLP 152 0 Chilean Peso
CNY 156 2 Yuan Renminbi
COP 170 2 Colombian Peso
COU 970 2 Unidad de Valor Real
CRC 188 2 Costa Rican Colon
CUC 931 2 Peso Convertible
CUP 192 2 Cuban Peso
CVE 132 2 Cabo Verde Escudo
CZK 203 2 Czech Koruna
DJF 262 0 Djibouti Franc
DKK 208 2 Danish Krone
DOP 214 2 Dominican Peso
DZD 012 2 Algerian Dinar
EGP 818 2 Egyptian Pound
ERN 232 2 Nakfa
ETB 230 2 Ethiopian Birr
EUR 978 2 Euro
FJD 242 2 Fiji Dollar
FKP 238 2 Falkland Islands Pound
GBP 826 2 Pound Sterling
GEL 981 2 Lari
GHS 936 2 Ghana Cedi
GIP 292 2 Gibraltar Pound
GMD 270 2 Dalasi
GNF 324 0 Guinean Franc
GTQ 320 2 Quetzal
GYD 328 2 Guyana Dollar
HKD 344 2 Hong Kong Dollar
HNL 340 2 Lempira
HTG 332 2 Gourde
HUF 348 2 Forint
IDR 360 2 Rupiah
ILS 376 2 New Israeli Sheqel
INR 356 2 Indian Rupee
IQD 368 3 Iraqi Dinar
IRR 364 2 Iranian Rial
ISK 352 0 Iceland Krona
JMD 388 2 Jamaican Dollar
JOD 400 3 Jordanian Dinar
JPY 392 0 Yen
KES 404 2 Kenyan Shilling
KGS 417 2 Som
KHR 116 2 Riel
KMF 174 0 Comorian Franc
KPW 408 2 North Korean Won
KRW 410 0 Won
KWD 414 3 Kuwaiti Dinar
KYD 136 2 Cayman Islands Dollar
KZT 398 2 Tenge
LAK 418 2 Lao Kip
LBP 422 2 Lebanese Pound
LKR 144 2 Sri Lanka Rupee
LRD 430 2 Liberian Dollar
LSL 426 2 Loti
LYD 434 3 Libyan Dinar
MAD 504 2 Moroccan Dirham
MDL 498 2 Moldovan Leu
MGA 969 2 Malagasy Ariary
MKD 807 2 Denar
MMK 104 2 Kyat
MNT 496 2 Tugrik
MOP 446 2 Pataca
MRU 929 2 Ouguiya
MUR 480 2 Mauritius Rupee
MVR 462 2 Rufiyaa
MWK 454 2 Malawi Kwacha
MXN 484 2 Mexican Peso
MXV 979 2 Mexican Unidad de Inversion (UDI)
MYR 458 2 Malaysian Ringgit
MZN 943 2 Mozambique Metical
NAD 516 2 Namibia Dollar
NGN 566 2 Naira
NIO 558 2 Cordoba Oro
NOK 578 2 Norwegian Krone
NPR 524 2 Nepalese Rupee
NZD 554 2 New Zealand Dollar
OMR 512 3 Rial Omani
PAB 590 2 Balboa
PEN 604 2 Sol
PGK 598 2 Kina
PHP 608 2 Philippine Peso
PKR 586 2 Pakistan Rupee
PLN 985 2 Zloty
PYG 600 0 Guarani
QAR 634 2 Qatari Rial
RON 946 2 Romanian Leu
RSD 941 2 Serbian Dinar
RUB 643 2 Russian Ruble
RWF 646 0 Rwanda Franc
SAR 682 2 Saudi Riyal
SBD 090 2 Solomon Islands Dollar
SCR 690 2 Seychelles Rupee
SDG 938 2 Sudanese Pound
SEK 752 2 Swedish Krona
SGD 702 2 Singapore Dollar
SHP 654 2 Saint Helena Pound
SLE 925 2 Leone
SLL 694 2 Leone
SOS 706 2 Somali Shilling
SRD 968 2 Surinam Dollar
SSP 728 2 South Sudanese Pound
STN 930 2 Dobra
SVC 222 2 El Salvador Colon
SYP 760 2 Syrian Pound
SZL 748 2 Lilangeni
THB 764 2 Baht
TJS 972 2 Somoni
TMT 934 2 Turkmenistan New Manat
TND 788 3 Tunisian Dinar
TOP 776 2 Pa’anga
TRY 949 2 Turkish Lira
TTD 780 2 Trinidad and Tobago Dollar
TWD 901 2 New Taiwan Dollar
TZS 834 2 Tanzanian Shilling
UAH 980 2 Hryvnia
UGX 800 0 Uganda Shilling
USD 840 2 US Dollar
USN 997 2 US Dollar (Next day)
UYI 940 0 Uruguay Peso en Unidades Indexadas (UI)
UYU 858 2 Peso Uruguayo
UYW 927 4 Unidad Previsional
UZS 860 2 Uzbekistan Sum
VED 926 2 Bolívar Soberano
VES 928 2 Bolívar Soberano
VND 704 0 Dong
VUV 548 0 Vatu
WST 882 2 Tala
XAF 950 0 CFA Franc BEAC
XAG 961 N.A. Silver
XAU 959 N.A. Gold
XBA 955 N.A. Bond Markets Unit European Composite Unit (EURCO)
XBB 956 N.A. Bond Markets Unit European Monetary Unit (E.M.U.-6)
XBC 957 N.A. Bond Markets Unit European Unit of Account 9 (E.U.A.-9)
XBD 958 N.A. Bond Markets Unit European Unit of Account 17 (E.U.A.-17)
XCD 951 2 East Caribbean Dollar
XCG 532 2 Caribbean Guilder
XDR 960 N.A. SDR (Special Drawing Right)
XOF 952 0 CFA Franc BCEAO
XPD 964 N.A. Palladium
XPF 953 0 CFP Franc
XPT 962 N.A. Platinum
XSU 994 N.A. Sucre
XTS 963 N.A. Codes specifically reserved for testing purposes
XUA 965 N.A. ADB Unit of Account
YER 886 2 Yemeni Rial
ZAR 710 2 Rand
ZMW 967 2 Zambian Kwacha
ZWG 924 2 Zimbabwe Gold
ZWL 932 2 Zimbabwe Dollar
";

    fn excerpt() -> Vec<(&'static str, Option<u8>)> {
        ISO_4217_LIST_ONE
            .lines()
            .map(|line| {
                let mut fields = line.split_whitespace();
                let code = fields.next().unwrap();
                let numeric = fields.next().unwrap();
                assert!(numeric.len() == 3 && numeric.bytes().all(|b| b.is_ascii_digit()));
                let minor = match fields.next().unwrap() {
                    "N.A." => None,
                    digits => Some(digits.parse::<u8>().unwrap()),
                };
                (code, minor)
            })
            .collect()
    }

    #[test]
    fn the_table_is_sorted_without_repeats() {
        for pair in MINOR_UNITS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} then {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn the_table_matches_the_iso_list_for_every_supported_currency() {
        let iso = excerpt();
        assert_eq!(iso.len(), MINOR_UNITS.len(), "one row per supported code");
        for (code, minor) in &iso {
            assert_eq!(minor_units(code), Some(*minor), "minor unit of {code}");
        }
        for (code, minor) in MINOR_UNITS {
            assert!(
                iso.contains(&(*code, *minor)),
                "{code} is not in the ISO excerpt"
            );
        }
    }

    #[test]
    fn the_documented_examples() {
        for (code, minor) in [
            ("JPY", Some(0)),
            ("KRW", Some(0)),
            ("USD", Some(2)),
            ("SAR", Some(2)),
            ("EUR", Some(2)),
            ("KWD", Some(3)),
            ("BHD", Some(3)),
            ("OMR", Some(3)),
            ("JOD", Some(3)),
            ("TND", Some(3)),
            ("CLF", Some(4)),
            ("XAU", None),
        ] {
            assert_eq!(minor_units(code), Some(minor), "{code}");
        }
        assert_eq!(minor_units("ABC"), None);
    }
}
