/** The signed-in user: token (kept in localStorage so field staff stay signed in offline) and the /api/me profile. */
export interface Me {
  userId: string;
  username: string;
  displayName: string;
  role: 'admin' | 'reviewer' | 'staff' | 'viewer';
  sector: 'emergency' | 'agriculture' | 'forestry' | 'housing' | null;
  regions: string[];
}

const KEY = 'risk-census.session';

interface Stored {
  token: string;
  expiresAt: string;
  me?: Me;
}

function load(): Stored | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

class Session {
  current = $state<Stored | null>(typeof localStorage === 'undefined' ? null : load());

  get token(): string | null {
    const c = this.current;
    if (!c) return null;
    return new Date(c.expiresAt).getTime() > Date.now() ? c.token : null;
  }
  get me(): Me | null {
    return this.current?.me ?? null;
  }
  get expired(): boolean {
    return !!this.current && !this.token;
  }
  signIn(token: string, expiresAt: string) {
    this.current = { token, expiresAt };
    this.persist();
  }
  setMe(me: Me) {
    if (this.current) {
      this.current = { ...this.current, me };
      this.persist();
    }
  }
  signOut() {
    this.current = null;
    localStorage.removeItem(KEY);
  }
  private persist() {
    localStorage.setItem(KEY, JSON.stringify(this.current));
  }
}

export const session = new Session();
