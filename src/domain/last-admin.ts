/**
 * "Every account keeps at least one admin who can sign in" (product.md §7), for one change or a
 * bulk one. An admin who can sign in has activated (set a password) and is not suspended: a
 * pending invitation is not one (the database view `signin_admin` says so once, for every user of
 * the rule). Built from those admins, counted under the account lock; each removal of an admin's
 * sign-in (uncheck, demote, remove) asks first, so a bulk action skips the last one.
 */
export class LastAdmin {
  #remaining: number;

  constructor(
    /** Members tied to an admin who can sign in (activated, not suspended). */
    private readonly adminMembers: ReadonlySet<string>,
    remaining: number,
  ) {
    this.#remaining = remaining;
  }

  /** True when this member is one of the account's admins who can sign in. */
  isAdmin(memberId: string): boolean {
    return this.adminMembers.has(memberId);
  }

  /** Takes away one admin's sign-in if another admin remains; false (nothing taken) if it is the last. */
  release(): boolean {
    if (this.#remaining <= 1) return false;
    this.#remaining--;
    return true;
  }

  /** The refusal in words a person can act on. */
  static words(name: string): string {
    return `${name} is the account's last admin who can sign in; make another Active member an admin first`;
  }
}
