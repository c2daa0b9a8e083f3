"""The audit chain gets its key: a store that already has entries ends them with one signed
entry, ``chain.keyed``.

Entries written before keep their plain SHA-256; the signed entry after them holds the
newest of those hashes, so none of them can be changed without breaking a signature. It
also names the newest movement, signature, login attempt, transfer line, outbox message and
run of that moment: records older than the key were never vouched for one by one, and
`kiosk verify` does not ask the chain for them. The key file is made here if the store has
none yet (kiosk.audit_key). A new store's chain is signed from its first entry and gets no
such entry.

This calls the ledger as it is when the migration runs, not a frozen copy: the entry must
be signed as every later entry is.
"""


def up(database):
    from kiosk import ledger

    ledger.key_the_chain()
