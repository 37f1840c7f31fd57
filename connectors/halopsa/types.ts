/** HaloPSA connector settings (product.md §8): secrets are `clientSecret`. */
export interface HaloSettings {
  /** The instance, e.g. https://acme.halopsa.com; the API is under /api. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Halo-hosted tenants: sent as ?tenant= on the token request. */
  tenant?: string;
  /** Authorisation server when it is not {baseUrl}/auth (Halo-hosted). */
  authUrl?: string;
}

/** The fields of Halo's Agent ("Uname") record that matter (psa-api-facts §2.2). */
export interface HaloAgent {
  id: number;
  name?: string | null;
  firstname?: string | null;
  surname?: string | null;
  email?: string | null;
  isdisabled?: boolean | null;
  isapiagent?: boolean | null;
  last_modified?: string | null;
}
