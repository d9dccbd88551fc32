//! The shared database: its schema (changed by migrations) and the record formats the
//! schema-mismatch faults track.
//!
//! A migration sets the store's schema; a version that cannot work with it fails the
//! requests that touch the database, and the failures carry the migration's fault.
//! A forward mismatch: the writer version turns old-format records into new-format
//! ones, and a reader of the other version fails (or silently corrupts its answer) with
//! probability equal to the new-format share. A backward mismatch: the target version
//! fails on old-format records, whose share decays as it rewrites them. The other
//! version writes the old format back. New-format records of a forward mismatch stay
//! after the writer is gone, until a backfill converts them.

use super::*;

struct StoreFault {
    fault: FaultId,
    forward: bool,
    writer: Version,
    write_share: f64,
    corrupt: bool,
    records: u64,
    new_records: u64,
    backfill: SimDuration,
    /// Bumped whenever writers come back, so a scheduled backfill can be cancelled.
    generation: u32,
    backfill_pending: bool,
}

impl StoreFault {
    fn new_share(&self) -> f64 {
        self.new_records as f64 / self.records as f64
    }
}

pub(super) struct DataStore {
    /// The current schema and the migration that set it.
    schema: Option<(String, Option<FaultId>)>,
    faults: Vec<StoreFault>,
}

impl DataStore {
    pub(super) fn new(cfg: &WorldConfig) -> Option<DataStore> {
        let faults: Vec<StoreFault> = cfg
            .faults
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let writer = Version::ALL.into_iter().find(|v| f.target.includes(*v))?;
                let fault = FaultId::from_index(i);
                match f.world()? {
                    WorldFault::SchemaForward {
                        write_share,
                        corrupt,
                        records,
                        backfill,
                    } => Some(StoreFault {
                        fault,
                        forward: true,
                        writer,
                        write_share: *write_share,
                        corrupt: *corrupt,
                        records: (*records).max(1),
                        new_records: 0,
                        backfill: *backfill,
                        generation: 0,
                        backfill_pending: false,
                    }),
                    WorldFault::SchemaBackward {
                        write_share,
                        records,
                    } => Some(StoreFault {
                        fault,
                        forward: false,
                        writer,
                        write_share: *write_share,
                        corrupt: false,
                        records: (*records).max(1),
                        new_records: 0,
                        backfill: SimDuration::ZERO,
                        generation: 0,
                        backfill_pending: false,
                    }),
                    _ => None,
                }
            })
            .collect();
        if cfg.schema.is_none() && faults.is_empty() {
            return None;
        }
        let initial_cause = cfg
            .faults
            .iter()
            .position(|f| {
                matches!(
                    f.world(),
                    Some(WorldFault::Migration {
                        trigger: MigrationTrigger::Initial,
                        ..
                    })
                )
            })
            .map(FaultId::from_index);
        Some(DataStore {
            schema: cfg
                .schema
                .as_ref()
                .map(|s| (s.initial.clone(), initial_cause)),
            faults,
        })
    }
}

impl World<'_> {
    /// One request's database access by version `v`: whether it fails (and why) and
    /// whether its answer is silently corrupt (and why).
    pub(super) fn db_access(&mut self, v: Version) -> (Option<Option<FaultId>>, Option<FaultId>) {
        let data = self.data.as_mut().expect("a data store");
        let rng = &mut self.rng.requests;
        if let (Some((schema, cause)), Some(cfg)) = (&data.schema, &self.cfg.schema)
            && unit(rng) < cfg.db_share
            && !cfg.compatible[v.index()].iter().any(|s| s == schema)
        {
            return (Some(*cause), None);
        }
        let mut fail = None;
        let mut corrupt = None;
        for sf in &mut data.faults {
            let share = sf.new_share();
            let writes = unit(rng) < sf.write_share;
            let record = unit(rng);
            if v == sf.writer {
                if writes {
                    // A write in the new format replaces a random record.
                    if record >= share && sf.new_records < sf.records {
                        sf.new_records += 1;
                    }
                } else if !sf.forward && record >= share {
                    // Backward: the writer cannot read an old-format record.
                    fail.get_or_insert(sf.fault);
                }
            } else if writes {
                // The other version writes the old format back.
                if record < share && sf.new_records > 0 {
                    sf.new_records -= 1;
                }
            } else if sf.forward && record < share {
                // Forward: the other version reads a record it does not understand.
                if sf.corrupt {
                    corrupt.get_or_insert(sf.fault);
                } else {
                    fail.get_or_insert(sf.fault);
                }
            }
        }
        (fail.map(Some), corrupt)
    }

    /// After a fleet change: once no writer of a forward mismatch is left, its
    /// new-format records are backfilled `backfill` later; a writer coming back
    /// cancels that.
    pub(super) fn check_writers(&mut self) {
        let mut writers = [false; 2];
        for &id in &self.live {
            let i = &self.instances[id.index()];
            writers[i.version.index()] |=
                i.state.counts_as_pod() || i.state == PodState::Terminating;
        }
        let data = self.data.as_mut().expect("a data store");
        for sf in data.faults.iter_mut().filter(|sf| sf.forward) {
            let present = writers[sf.writer.index()];
            if present && sf.backfill_pending {
                sf.backfill_pending = false;
                sf.generation += 1;
            } else if !present && !sf.backfill_pending && sf.new_records > 0 {
                sf.backfill_pending = true;
                self.queue
                    .push(self.now + sf.backfill, Event::Backfill { fault: sf.fault });
                self.log.push(LogRecord::new(
                    self.now,
                    LogKind::Fault,
                    self.cfg.faults[sf.fault.index()].name.clone(),
                    format!(
                        "no writer left; {} new-format records stay until the backfill in {}",
                        sf.new_records, sf.backfill
                    ),
                ));
            }
        }
    }

    pub(super) fn backfill(&mut self, fault: usize) {
        let Some(data) = &mut self.data else {
            return;
        };
        let Some(sf) = data
            .faults
            .iter_mut()
            .find(|sf| sf.fault.index() == fault && sf.backfill_pending)
        else {
            return;
        };
        sf.backfill_pending = false;
        let converted = std::mem::take(&mut sf.new_records);
        self.log.push(LogRecord::new(
            self.now,
            LogKind::Fault,
            self.cfg.faults[fault].name.clone(),
            format!("backfill converted {converted} records back to the old format"),
        ));
    }

    /// Runs every migration with this trigger, in fault-table order.
    pub(super) fn run_migrations(&mut self, trigger: MigrationTrigger) {
        let due: Vec<usize> = self
            .cfg
            .faults
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                matches!(f.world(), Some(WorldFault::Migration { trigger: t, .. }) if *t == trigger)
            })
            .map(|(i, _)| i)
            .collect();
        for i in due {
            self.migrate(i);
        }
    }

    pub(super) fn migrate(&mut self, fault: usize) {
        let f = &self.cfg.faults[fault];
        let Some(WorldFault::Migration { schema, .. }) = f.world() else {
            return;
        };
        let Some(data) = &mut self.data else {
            return;
        };
        data.schema = Some((schema.clone(), Some(FaultId::from_index(fault))));
        self.mark_faults_active(1 << fault);
        let cfg = self.cfg.schema.as_ref().expect("migrations need a schema");
        let broken: Vec<&str> = Version::ALL
            .into_iter()
            .filter(|v| !cfg.compatible[v.index()].iter().any(|s| s == schema))
            .map(Version::name)
            .collect();
        let what = if broken.is_empty() {
            format!("schema is now {schema}; both versions work with it")
        } else {
            format!(
                "schema is now {schema}; {} cannot work with it",
                broken.join(" and ")
            )
        };
        self.log.push(LogRecord::new(
            self.now,
            LogKind::Fault,
            f.name.clone(),
            what,
        ));
    }
}
