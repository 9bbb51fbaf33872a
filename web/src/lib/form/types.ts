/** The submission as the API returns it (API.md "Submissions"). */
export type Status = 'draft' | 'submitted' | 'approved' | 'returned' | 'voided';

export interface HistoryEntry {
  at: string;
  by: string;
  action: 'created' | 'updated' | 'submitted' | 'returned' | 'approved' | 'reopened' | 'voided' | 'handed-over';
  from: Status | null;
  to: Status;
  note?: string;
}

export interface Submission {
  id: string;
  formId: string;
  formVersion: number;
  sector: string;
  part?: string;
  regionCode: string;
  status: Status;
  version: number;
  data: Record<string, unknown>;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  submittedAt?: string;
  reviewNote?: string;
  history?: HistoryEntry[];
}

export const EDITABLE: readonly Status[] = ['draft', 'returned'];
