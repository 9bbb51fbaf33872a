/**
 * cdk-nag acknowledgements. Every one is granular (a rule id, or `Rule[finding]` for rules with findings such as IAM5)
 * and carries a reason that starts with the path of the construct it is attached to, so the report names what is excused.
 * cdk-nag 3 reads these from construct metadata (`Validations.of(c).acknowledge`); there is no stack-wide suppression here.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  if (!/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/.test(id)) throw new Error(`cdk-nag acknowledgement id is not granular: ${id}`);
  if (reason.trim().length < 30) throw new Error(`cdk-nag acknowledgement ${id} on ${construct.node.path} needs a real reason`);
  Validations.of(construct).acknowledge({ id, reason: `${construct.node.path}: ${reason}` });
}

/** Every acknowledgement in a construct tree: the construct path, the rule id and the reason (for tests and reports). */
export function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  const out: { path: string; id: string; reason: string }[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ path: c.node.path, id: key.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return out;
}
