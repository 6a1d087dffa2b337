//! The burgerservicenummer and its 11-proef.

/// Whether `value` is a BSN: nine digits whose weighted sum (9, 8, …, 2 and −1 for the last digit) is
/// a multiple of 11, and not all zeros.
pub fn is_valid(value: &str) -> bool {
    let digits: Vec<i64> = value
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| i64::from(b - b'0'))
        .collect();
    if digits.len() != 9 || value.len() != 9 || digits.iter().all(|d| *d == 0) {
        return false;
    }
    let sum: i64 = digits[..8]
        .iter()
        .zip((2..=9).rev())
        .map(|(digit, weight)| digit * weight)
        .sum::<i64>()
        - digits[8];
    sum % 11 == 0
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn the_11_proef_accepts_valid_numbers_and_refuses_the_rest() {
        // 9×1 + 8×1 + 7×1 + 6×2 + 5×2 + 4×2 + 3×3 + 2×3 − 1×6 = 63 → not a multiple of 11.
        assert!(!is_valid("111222336"));
        assert!(is_valid("111222333"), "9+8+7+12+10+8+9+6−3 = 66");
        assert!(is_valid("123456782"));
        assert!(!is_valid("123456789"));
        assert!(!is_valid("000000000"));
        assert!(!is_valid("12345678"));
        assert!(!is_valid("12345678a"));
        assert!(!is_valid("1234567820"));
    }
}
