//! The school of the `school` scenario, the same at every call: its teachers and pupils, their
//! class rooms and their common password, and the class list that `classcord user import`
//! reads to create them.

use std::path::Path;

use anyhow::Context;

/// Every account's password (the import's `mot_de_passe` column).
pub const PASSWORD: &str = "journee-de-classe";

/// One account of the school.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    /// Index of their class room (a teacher's first one).
    pub room: usize,
}

/// The school: `rooms` class rooms, teachers first in the class list.
#[derive(Debug, Clone)]
pub struct School {
    pub teachers: Vec<Person>,
    pub pupils: Vec<Person>,
    pub rooms: usize,
}

impl School {
    /// `accounts` accounts of which `teachers` teachers; pupil `i` is in class `i % rooms`.
    pub fn new(accounts: usize, teachers: usize, rooms: usize) -> anyhow::Result<School> {
        anyhow::ensure!(rooms > 0 && rooms <= 999, "--rooms: from 1 to 999");
        anyhow::ensure!(
            teachers > 0 && teachers <= rooms,
            "--teachers: from 1 to the number of rooms (each teacher has a class)"
        );
        anyhow::ensure!(
            accounts >= teachers + 2 * rooms,
            "--accounts: at least the teachers and two pupils per room"
        );
        Ok(School {
            teachers: (0..teachers)
                .map(|t| Person {
                    name: format!("prof{:02}", t + 1),
                    room: t,
                })
                .collect(),
            pupils: (0..accounts - teachers)
                .map(|i| Person {
                    name: format!("eleve{:04}", i + 1),
                    room: i % rooms,
                })
                .collect(),
            rooms,
        })
    }

    /// The name of class room `index` (`#C01`…), as the import makes it from the `classe`
    /// column.
    pub fn room_name(&self, index: usize) -> String {
        format!("#{}", class_name(index))
    }

    /// The rooms teacher `t` looks after: their class and every `teachers`-th room after it.
    pub fn rooms_of_teacher(&self, t: usize) -> Vec<usize> {
        (t..self.rooms).step_by(self.teachers.len()).collect()
    }

    /// The pupil of each room whom its teacher mutes, then excludes (the last of the room):
    /// left out of the loss count, since they are away part of the time.
    pub fn is_target(&self, pupil: usize) -> bool {
        pupil + self.rooms >= self.pupils.len()
    }

    /// The target pupil of a room (the only one of the last `rooms` pupils in it).
    pub fn target_of_room(&self, room: usize) -> &Person {
        let first = self.pupils.len() - self.rooms;
        self.pupils[first..]
            .iter()
            .find(|pupil| pupil.room == room)
            .expect("the last `rooms` pupils are one per room")
    }

    /// Writes the class list (`;`-separated, French headers, as a school's export).
    pub fn write_class_list(&self, path: &Path) -> anyhow::Result<()> {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_path(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        writer.write_record([
            "identifiant",
            "nom",
            "prénom",
            "classe",
            "role",
            "mot_de_passe",
        ])?;
        let rows = self
            .teachers
            .iter()
            .map(|person| (person, "professeur"))
            .chain(self.pupils.iter().map(|person| (person, "élève")));
        for (person, role) in rows {
            writer.write_record([
                person.name.as_str(),
                "Charge",
                person.name.as_str(),
                class_name(person.room).as_str(),
                role,
                PASSWORD,
            ])?;
        }
        writer.flush()?;
        Ok(())
    }
}

fn class_name(index: usize) -> String {
    format!("C{:02}", index + 1)
}
