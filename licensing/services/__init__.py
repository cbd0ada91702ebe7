"""Every write and workflow of enterprise licensing, one module per concern:

organisations (members, roles, domains), quotes (request → prepare/send/revise → accept),
payments (Stripe customer, Checkout or invoice, syncing the licence from Stripe), licences (staff actions,
suspension, seat changes), seats (invitations, CSV, acceptance, revocation, entitlements), keys (signing
keys and licence keys), activations, api_keys.
"""
