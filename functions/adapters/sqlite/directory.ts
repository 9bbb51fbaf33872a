/**
 * Directory repository on the embedded database: form versions, regions, members, local logins, job records and
 * settings. Published form versions are immutable, so they are cached for the life of the process; the current
 * pointer and the region tree are cached briefly, as the DynamoDB adapter does.
 */
import type { FormDefinition } from '#domain/forms';
import type { Region } from '#domain/regions';
import { formSummary, versionInfo } from '../form-record';
import { isActiveAdmin, LastAdmin, type Boundary, UsernameTaken, WriteConflict, type DirectoryStore, type FormSummary, type FormVersionInfo, type Publication, type JobRecord, type LocalLogin, type Member, type MemberChange } from '#app/ports';
import { inTransaction, type Db } from './database';
import { storedMember } from '../member-record';

const CURRENT_TTL_MS = 30_000;

type LoginRow = { username: string; sub: string; password_hash: string; must_change: number; temporary_until: string | null; password_changed_at: string | null };

function toLogin(r: LoginRow): LocalLogin {
  return {
    username: r.username,
    sub: r.sub,
    passwordHash: r.password_hash,
    ...(r.must_change ? { mustChangePassword: true } : {}),
    ...(r.temporary_until ? { temporaryUntil: r.temporary_until } : {}),
    ...(r.password_changed_at ? { passwordChangedAt: r.password_changed_at } : {}),
  };
}

interface FormRow {
  summary: string;
  retired: string | null;
}

/** The stored summary with the retired state (kept apart so that publishing a version never clears it). */
function summaryOf(r: FormRow): FormSummary {
  const s = JSON.parse(r.summary) as FormSummary;
  if (!r.retired) return s;
  const at = JSON.parse(r.retired) as Publication;
  return { ...s, retired: true, retiredAt: at.at, retiredBy: at.by };
}

export class SqliteDirectoryStore implements DirectoryStore {
  private readonly versions = new Map<string, FormDefinition>();
  private readonly current = new Map<string, { version: number; at: number }>();
  private readonly retired = new Map<string, { retired: boolean; at: number }>();
  private regionCache?: { regions: Region[]; at: number };
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      forms: db.prepare<[], FormRow>('SELECT summary, retired FROM forms'),
      form: db.prepare<[string], FormRow>('SELECT summary, retired FROM forms WHERE form_id = ?'),
      versions: db.prepare<[string], { version: number; definition: string; published: string | null }>(
        'SELECT version, definition, published FROM form_versions WHERE form_id = ? ORDER BY version DESC',
      ),
      setRetired: db.prepare('UPDATE forms SET retired = ? WHERE form_id = ?'),
      current: db.prepare<[string], { version: number }>('SELECT version FROM forms WHERE form_id = ?'),
      version: db.prepare<[string, number], { definition: string }>('SELECT definition FROM form_versions WHERE form_id = ? AND version = ?'),
      insertVersion: db.prepare('INSERT OR IGNORE INTO form_versions (form_id, version, definition, published) VALUES (?, ?, ?, ?)'),
      // An upsert, not a replace: the retired column survives a new version.
      setCurrent: db.prepare(
        'INSERT INTO forms (form_id, version, summary) VALUES (?, ?, ?) ON CONFLICT (form_id) DO UPDATE SET version = excluded.version, summary = excluded.summary',
      ),
      regions: db.prepare<[], { region: string }>('SELECT region FROM regions'),
      putRegion: db.prepare('INSERT OR REPLACE INTO regions (code, region) VALUES (?, ?)'),
      member: db.prepare<[string], { member: string }>('SELECT member FROM members WHERE user_id = ?'),
      members: db.prepare<[], { member: string }>('SELECT member FROM members'),
      memberByUsername: db.prepare<[string], { member: string }>('SELECT member FROM members WHERE username = ?'),
      putMember: db.prepare('INSERT OR REPLACE INTO members (user_id, username, member) VALUES (?, ?, ?)'),
      insertMember: db.prepare('INSERT INTO members (user_id, username, member) VALUES (?, ?, ?)'),
      updateMember: db.prepare("UPDATE members SET member = ? WHERE user_id = ? AND coalesce(json_extract(member, '$.version'), 1) = ?"),
      otherActiveAdmins: db.prepare<[string], { n: number }>(
        "SELECT count(*) AS n FROM members WHERE user_id <> ? AND json_extract(member, '$.role') = 'admin' AND coalesce(json_extract(member, '$.status'), 'active') = 'active'",
      ),
      addHistory: db.prepare('INSERT INTO member_history (user_id, change) VALUES (?, ?)'),
      history: db.prepare<[string], { change: string }>('SELECT change FROM member_history WHERE user_id = ? ORDER BY seq'),
      localUser: db.prepare<[string], LoginRow>('SELECT * FROM local_users WHERE username = ?'),
      localUsers: db.prepare<[], LoginRow>('SELECT * FROM local_users ORDER BY username'),
      putLocalUser: db.prepare(
        'INSERT OR REPLACE INTO local_users (username, sub, password_hash, must_change, temporary_until, password_changed_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      putJob: db.prepare('INSERT OR REPLACE INTO job_records (kind, id, record, expires_at) VALUES (?, ?, ?, ?)'),
      getJob: db.prepare<[string, string], { record: string; expires_at: number }>('SELECT record, expires_at FROM job_records WHERE kind = ? AND id = ?'),
      expireJobs: db.prepare('DELETE FROM job_records WHERE expires_at < ?'),
      getSetting: db.prepare<[string], { value: string; by: string; at: string }>('SELECT value, by, at FROM settings WHERE name = ?'),
      putSetting: db.prepare('INSERT OR REPLACE INTO settings (name, value, by, at) VALUES (?, ?, ?, ?)'),
      putBoundary: db.prepare('INSERT OR REPLACE INTO boundaries (code, level, geometry) VALUES (?, ?, ?)'),
      boundaries: db.prepare<[], { code: string; level: string; geometry: string }>('SELECT code, level, geometry FROM boundaries ORDER BY code'),
      boundariesOf: db.prepare<[string], { code: string; level: string; geometry: string }>('SELECT code, level, geometry FROM boundaries WHERE level = ? ORDER BY code'),
    };
  }

  /** listForms(): summaries of the current version of every form, by id. */
  async listForms(): Promise<FormSummary[]> {
    return this.stmts.forms
      .all()
      .map(summaryOf)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async currentForm(formId: string): Promise<FormDefinition | undefined> {
    const hit = this.current.get(formId);
    let version = hit && Date.now() - hit.at < CURRENT_TTL_MS ? hit.version : undefined;
    if (version === undefined) {
      const row = this.stmts.current.get(formId);
      if (!row) return undefined;
      version = row.version;
      this.current.set(formId, { version, at: Date.now() });
    }
    return this.formVersion(formId, version);
  }

  async formVersion(formId: string, version: number): Promise<FormDefinition | undefined> {
    const k = `${formId}@${version}`;
    const cached = this.versions.get(k);
    if (cached) return cached;
    const row = this.stmts.version.get(formId, version);
    if (!row) return undefined;
    // Checked against the schema and checkDefinition when published; stored versions never change.
    const def = JSON.parse(row.definition) as FormDefinition;
    this.versions.set(k, def);
    return def;
  }

  /** Publish a version: written once (an existing version → WriteConflict), then the current pointer and summary move. */
  async publishForm(def: FormDefinition, published?: Publication): Promise<void> {
    const summary = formSummary(def);
    inTransaction(this.db, () => {
      if (this.stmts.insertVersion.run(def.id, def.version, JSON.stringify(def), published ? JSON.stringify(published) : null).changes !== 1) throw new WriteConflict();
      this.stmts.setCurrent.run(def.id, def.version, JSON.stringify(summary));
    });
    this.current.delete(def.id);
  }

  async formVersions(formId: string): Promise<FormVersionInfo[]> {
    return this.stmts.versions.all(formId).map((r) => versionInfo(JSON.parse(r.definition) as FormDefinition, r.published ? (JSON.parse(r.published) as Publication) : undefined));
  }

  async formRetired(formId: string): Promise<boolean> {
    const hit = this.retired.get(formId);
    if (hit && Date.now() - hit.at < CURRENT_TTL_MS) return hit.retired;
    const retired = Boolean(this.stmts.form.get(formId)?.retired);
    this.retired.set(formId, { retired, at: Date.now() });
    return retired;
  }

  async setFormRetired(formId: string, retired: Publication | undefined): Promise<FormSummary | undefined> {
    this.retired.delete(formId);
    return inTransaction(this.db, () => {
      if (this.stmts.setRetired.run(retired ? JSON.stringify({ at: retired.at, by: retired.by }) : null, formId).changes !== 1) return undefined;
      return summaryOf(this.stmts.form.get(formId)!);
    });
  }

  async regions(): Promise<Region[]> {
    if (this.regionCache && Date.now() - this.regionCache.at < CURRENT_TTL_MS) return this.regionCache.regions;
    const regions = this.stmts.regions.all().map((r) => JSON.parse(r.region) as Region);
    this.regionCache = { regions, at: Date.now() };
    return regions;
  }

  async putRegions(regions: Region[]): Promise<void> {
    inTransaction(this.db, () => {
      for (const r of regions) this.stmts.putRegion.run(r.code, JSON.stringify({ code: r.code, name: r.name, level: r.level, parent: r.parent ?? null }));
    });
    this.regionCache = undefined;
  }

  /** member(sub): the membership of an identity subject. */
  async member(sub: string): Promise<Member | undefined> {
    const row = this.stmts.member.get(sub);
    return row ? storedMember(JSON.parse(row.member) as Member) : undefined;
  }

  async memberByUsername(username: string): Promise<Member | undefined> {
    const row = this.stmts.memberByUsername.get(username);
    return row ? storedMember(JSON.parse(row.member) as Member) : undefined;
  }

  async members(): Promise<Member[]> {
    return this.stmts.members
      .all()
      .map((r) => storedMember(JSON.parse(r.member) as Member))
      .sort((a, b) => a.username.localeCompare(b.username));
  }

  async putMember(m: Member): Promise<void> {
    const member = storedMember(m);
    this.stmts.putMember.run(m.userId, m.username, JSON.stringify(member));
  }

  async createMember(m: Member, change: MemberChange, login?: LocalLogin): Promise<void> {
    const member = storedMember({ ...m, version: 1 });
    inTransaction(this.db, () => {
      const holder = this.stmts.memberByUsername.get(member.username);
      if (holder) throw new UsernameTaken(member.username);
      if (this.stmts.member.get(member.userId)) throw new WriteConflict();
      this.stmts.insertMember.run(member.userId, member.username, JSON.stringify(member));
      this.stmts.addHistory.run(member.userId, JSON.stringify(change));
      if (login) this.writeLogin(login);
    });
  }

  async updateMember(next: Member, expectVersion: number, change: MemberChange | null, login?: LocalLogin): Promise<void> {
    const member = storedMember(next);
    inTransaction(this.db, () => {
      const row = this.stmts.member.get(member.userId);
      if (!row) throw new WriteConflict();
      const before = storedMember(JSON.parse(row.member) as Member);
      if (before.version !== expectVersion || before.username !== member.username) throw new WriteConflict();
      if (isActiveAdmin(before) && !isActiveAdmin(member) && this.stmts.otherActiveAdmins.get(member.userId)!.n === 0) throw new LastAdmin();
      if (this.stmts.updateMember.run(JSON.stringify(member), member.userId, expectVersion).changes !== 1) throw new WriteConflict();
      if (change) this.stmts.addHistory.run(member.userId, JSON.stringify(change));
      if (login) this.writeLogin(login);
    });
  }

  async memberHistory(userId: string): Promise<MemberChange[]> {
    return this.stmts.history.all(userId).map((r) => JSON.parse(r.change) as MemberChange);
  }

  /** Local identity: the login record of a username. */
  async localUser(username: string): Promise<LocalLogin | undefined> {
    const row = this.stmts.localUser.get(username);
    return row ? toLogin(row) : undefined;
  }

  async putLocalUser(u: LocalLogin): Promise<void> {
    this.writeLogin(u);
  }

  async localUsers(): Promise<LocalLogin[]> {
    return this.stmts.localUsers.all().map(toLogin);
  }

  private writeLogin(u: LocalLogin): void {
    this.stmts.putLocalUser.run(u.username, u.sub, u.passwordHash, u.mustChangePassword ? 1 : 0, u.temporaryUntil ?? null, u.passwordChangedAt ?? null);
  }

  /** putJob: the record under (kind, id), expiring at `expiresAt` (epoch seconds); expired records are swept as jobs are written. */
  async putJob(job: JobRecord, expiresAt: number): Promise<void> {
    this.stmts.putJob.run(job.kind, job.id, JSON.stringify(job), expiresAt);
    if (Math.random() < 0.01) this.stmts.expireJobs.run(Math.floor(Date.now() / 1000));
  }

  /** getJob(kind, id): expired records count as gone, as with DynamoDB's lazy TTL. */
  async getJob<T extends JobRecord>(kind: JobRecord['kind'], id: string): Promise<T | undefined> {
    const row = this.stmts.getJob.get(kind, id);
    if (!row || row.expires_at * 1000 < Date.now()) return undefined;
    return JSON.parse(row.record) as T;
  }

  async getSetting(name: string): Promise<{ value: unknown; by: string; at: string } | undefined> {
    const row = this.stmts.getSetting.get(name);
    return row ? { value: JSON.parse(row.value) as unknown, by: row.by, at: row.at } : undefined;
  }

  async putSetting(name: string, value: unknown, by: string, at: string): Promise<void> {
    this.stmts.putSetting.run(name, JSON.stringify(value ?? null), by, at);
  }

  async putBoundaries(boundaries: readonly Boundary[]): Promise<void> {
    inTransaction(this.db, () => {
      for (const b of boundaries) this.stmts.putBoundary.run(b.code, b.level, JSON.stringify(b.geometry));
    });
  }

  async boundaries(level?: Region['level']): Promise<Boundary[]> {
    const rows = level ? this.stmts.boundariesOf.all(level) : this.stmts.boundaries.all();
    return rows.map((r) => ({ code: r.code, level: r.level as Region['level'], geometry: JSON.parse(r.geometry) as Boundary['geometry'] }));
  }
}
