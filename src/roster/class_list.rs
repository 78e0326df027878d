//! Reading a class list: a header-named CSV (`nom`, `prénom`, `classe`, optional
//! `identifiant`, `mot_de_passe`, `role`; other columns ignored), `,` or `;`, in UTF-8 with
//! or without a byte-order mark or in Windows-1252 (Excel's "CSV" on a French Windows).

use classcord_protocol::Role;

use super::slug::fold_header;

/// One row of the list, as read (not yet checked against the name rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListRow {
    /// The row's line in the file (1 is the header).
    pub(crate) line: u64,
    pub(crate) last_name: String,
    pub(crate) first_name: String,
    pub(crate) class: String,
    pub(crate) login: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) role: Option<Role>,
}

/// Why a row is not imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RowProblem {
    #[error("no last name (nom)")]
    NoLastName,
    #[error("no first name (prénom)")]
    NoFirstName,
    #[error("unknown role {0:?} (élève, professeur or admin)")]
    UnknownRole(String),
    #[error("the name gives no usable user name: add an identifiant")]
    NoUsableName,
    #[error("the class {0:?} gives no usable room name")]
    NoUsableClass(String),
    #[error("invalid identifiant: {0}")]
    InvalidLogin(String),
    #[error("password refused: {0}")]
    Password(String),
    #[error("same person as line {0}")]
    Duplicate(u64),
    #[error("not a CSV row: {0}")]
    Unreadable(String),
}

/// A row that is not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowRefused {
    pub(crate) line: u64,
    pub(crate) problem: RowProblem,
}

/// Why a file is not a class list at all.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ListError {
    #[error("the file is empty")]
    Empty,
    #[error("the header (first line) has no {0:?} column; it needs nom, prénom and classe")]
    MissingColumn(&'static str),
    #[error("the header cannot be read: {0}")]
    Header(String),
}

/// The rows read, in file order, and those refused already.
#[derive(Debug, Default)]
pub(crate) struct ClassList {
    pub(crate) rows: Vec<ListRow>,
    pub(crate) refused: Vec<RowRefused>,
    /// How the bytes were read: "UTF-8" or "Windows-1252".
    pub(crate) encoding: &'static str,
    pub(crate) delimiter: char,
}

/// The text of the file: UTF-8 (a byte-order mark removed) when it is valid UTF-8,
/// Windows-1252 otherwise (every byte is a character there, so nothing is refused).
fn decode(bytes: &[u8]) -> (String, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), "Windows-1252")
        }
    }
}

/// `;` when the header has more of them than of `,` (a French Excel), `,` otherwise.
fn delimiter_of(header: &str) -> u8 {
    let semicolons = header.matches(';').count();
    let commas = header.matches(',').count();
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// A role as schools write it, in French or as `classcord user role` takes it.
pub(crate) fn parse_role(text: &str) -> Result<Option<Role>, RowProblem> {
    let folded = fold_header(text);
    Ok(Some(match folded.as_str() {
        "" => return Ok(None),
        "eleve" | "etudiant" | "etudiante" | "user" | "utilisateur" => Role::User,
        "professeur" | "prof" | "enseignant" | "enseignante" | "moderator" | "moderateur" => {
            Role::Moderator
        }
        "admin" | "administrateur" | "administratrice" => Role::Admin,
        _ => return Err(RowProblem::UnknownRole(text.to_owned())),
    }))
}

/// The columns this reader knows, by their place in the header.
struct Columns {
    last_name: usize,
    first_name: usize,
    class: usize,
    login: Option<usize>,
    password: Option<usize>,
    role: Option<usize>,
}

impl Columns {
    fn of(header: &csv::StringRecord) -> Result<Columns, ListError> {
        let find = |names: &[&str]| {
            header
                .iter()
                .position(|field| names.contains(&fold_header(field).as_str()))
        };
        Ok(Columns {
            last_name: find(&["nom"]).ok_or(ListError::MissingColumn("nom"))?,
            first_name: find(&["prenom"]).ok_or(ListError::MissingColumn("prénom"))?,
            class: find(&["classe"]).ok_or(ListError::MissingColumn("classe"))?,
            login: find(&["identifiant", "login"]),
            password: find(&["mot_de_passe", "motdepasse", "password"]),
            role: find(&["role"]),
        })
    }

    fn row(&self, line: u64, record: &csv::StringRecord) -> Result<ListRow, RowProblem> {
        let field = |index: usize| record.get(index).unwrap_or_default().trim().to_owned();
        let optional = |index: Option<usize>| index.map(field).filter(|text| !text.is_empty());
        let last_name = field(self.last_name);
        let first_name = field(self.first_name);
        if last_name.is_empty() {
            return Err(RowProblem::NoLastName);
        }
        if first_name.is_empty() {
            return Err(RowProblem::NoFirstName);
        }
        Ok(ListRow {
            line,
            last_name,
            first_name,
            class: field(self.class),
            login: optional(self.login),
            // A password is taken as written: spaces at its ends are part of it.
            password: self
                .password
                .and_then(|index| record.get(index))
                .filter(|text| !text.is_empty())
                .map(str::to_owned),
            role: match self.role {
                Some(index) => parse_role(&field(index))?,
                None => None,
            },
        })
    }
}

/// Reads a class list. Rows that are blank are skipped; rows that cannot be read are
/// refused with their line, the others read.
pub(crate) fn read(bytes: &[u8]) -> Result<ClassList, ListError> {
    let (text, encoding) = decode(bytes);
    // Windows line ends as plain ones: the reader's line numbers then count as an editor does.
    let text = text.replace("\r\n", "\n");
    let header_line = text.lines().find(|line| !line.trim().is_empty());
    let Some(header_line) = header_line else {
        return Err(ListError::Empty);
    };
    let delimiter = delimiter_of(header_line);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|error| ListError::Header(error.to_string()))?
        .clone();
    let columns = Columns::of(&header)?;
    let mut list = ClassList {
        encoding,
        delimiter: char::from(delimiter),
        ..ClassList::default()
    };
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                if record.iter().all(|field| field.trim().is_empty()) {
                    continue;
                }
                match columns.row(line, &record) {
                    Ok(row) => list.rows.push(row),
                    Err(problem) => list.refused.push(RowRefused { line, problem }),
                }
            }
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                list.refused.push(RowRefused {
                    line,
                    problem: RowProblem::Unreadable(error.to_string()),
                });
            }
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_with_semicolons_is_read() {
        // "Prénom" and "Éloïse" in Windows-1252, as Excel writes them.
        let bytes = b"Nom;Pr\xe9nom;Classe;Autre\r\nDurand;\xc9lo\xefse;2SIO1;x\r\n;;;\r\nMartin;;2SIO1;y\r\n";
        let list = read(bytes).unwrap();
        assert_eq!(list.encoding, "Windows-1252");
        assert_eq!(list.delimiter, ';');
        assert_eq!(list.rows.len(), 1);
        assert_eq!(list.rows[0].first_name, "Éloïse");
        assert_eq!(list.rows[0].line, 2);
        assert_eq!(
            list.refused,
            vec![RowRefused {
                line: 4,
                problem: RowProblem::NoFirstName
            }]
        );
    }

    #[test]
    fn utf8_with_bom_and_commas_is_read() {
        let bytes =
            "\u{feff}prenom,nom,classe,role,mot de passe\nZoé,Petit,TSIO,prof, un secret \n"
                .as_bytes();
        let list = read(bytes).unwrap();
        assert_eq!(list.encoding, "UTF-8");
        assert_eq!(list.rows[0].first_name, "Zoé");
        assert_eq!(list.rows[0].role, Some(Role::Moderator));
        assert_eq!(list.rows[0].password.as_deref(), Some(" un secret "));
    }

    #[test]
    fn a_list_without_its_columns_is_refused() {
        assert!(matches!(
            read(b"name;class\nx;y\n"),
            Err(ListError::MissingColumn("nom"))
        ));
        assert!(matches!(read(b"\n\n"), Err(ListError::Empty)));
        let list = read(b"nom;prenom;classe;role\na;b;c;chef\n").unwrap();
        assert_eq!(
            list.refused[0].problem,
            RowProblem::UnknownRole("chef".into())
        );
    }
}
