//! Pass and voucher codes: twelve characters of Crockford base32 (60 random bits), written in three
//! groups of four (`7KQ2-M9XD-4H1T`). Read back forgivingly: lower case, spaces and dashes, and the
//! letters O, I and L typed for 0, 1 and 1 are all accepted.

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new random code.
pub fn generate() -> String {
    let random = uuid::Uuid::new_v4().as_u128();
    let chars: String = (0..12)
        .map(|i| ALPHABET[((random >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
}

/// The code as stored, or `None` when what was typed cannot be a code.
pub fn normalise(typed: &str) -> Option<String> {
    let mut chars = String::with_capacity(12);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        chars.push(c);
    }
    (chars.len() == 12).then(|| format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12]))
}

/// The last four characters, to recognise a pass without revealing its code.
pub fn hint(code: &str) -> String {
    code.chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_code_reads_back_as_itself_also_when_typed_carelessly() {
        let code = generate();
        assert_eq!(code.len(), 14);
        assert_eq!(normalise(&code).as_deref(), Some(code.as_str()));
        let careless = code
            .to_lowercase()
            .replace('-', " ")
            .replace('0', "o")
            .replace('1', "l");
        assert_eq!(normalise(&careless).as_deref(), Some(code.as_str()));
        assert_ne!(generate(), code, "codes are random");
    }

    #[test]
    fn what_cannot_be_a_code_is_refused() {
        assert_eq!(normalise("ABC"), None);
        assert_eq!(
            normalise("ABCD-EFGH-JKMU"),
            None,
            "U is not in the alphabet"
        );
        assert_eq!(normalise("ABCD-EFGH-JKMN-PQRS"), None);
        assert_eq!(hint("7KQ2-M9XD-4H1T"), "4H1T");
    }
}
