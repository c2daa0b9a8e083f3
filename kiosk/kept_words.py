"""Messages whose English a record keeps filled in (a rejection's reason on a manifest line,
a label's data): ``kiosk.words.Known`` finds them again by their English, with their
arguments, to say them in the reader's language on a screen, slip or label."""

from kiosk import printer_words
from kiosk.words import _, kept_forms

kept_forms(_("Short: {got} of {sent} received"), _("Over: {got} received, {sent} shipped"),
           _("Count does not match: {counted} counted, {shipped} shipped"),
           _("Lab test failed: {tests}."),
           _("No lab results (COA) for this package or batch {batch}."),
           _("Label says {name} {label}% but the lab found {lab}% (more than {tolerance}% "
             "apart)."),
           _("{number} {unit}"), _("{words} (sale {sale})"),
           _("{quantity} of this package: {reason}"),
           # A spot count's title, and where a closing count's figure came from.
           _("Spot count of {number} packages"),
           # The count a reconciliation's escalations go under (kiosk/reconciliation.py).
           _("Opening reconciliation, {weekday} {day} {month} {year}"),
           _("Closing reconciliation, {weekday} {day} {month} {year}"),
           # A correction sent to Metrc at opening (kiosk/receipt_fixes.py's plan_words).
           _("Send Metrc a receipt for {amount}"), _("Void Metrc receipt {receipt}"),
           _("Fix Metrc receipt {receipt} to {amount}"),
           _("Take …{tag} off Metrc receipt {receipt}"),
           _("the POS's figure at {time}, less its sales since"),
           # A refused scan, as its step event keeps it (said again when the same scan is
           # sent again after the connection dropped: kiosk/engine.py's _replayed).
           _("That was {kind} ({shown}). This step needs {wanted}."),
           _("{shown} looks like an item barcode but its check digit is wrong. Scan it again; "
             "this step needs {wanted}."),
           _("{shown} has {number} characters; a package tag has 24. Scan the tag again."),
           _("{shown} is not a code this kiosk knows. This step needs {wanted}."),
           _("That is too long for a code here ({number} characters). Scan the barcode "
             "again."))

# Why a label or slip did not print, as a print job's ``last_error`` keeps it.
kept_forms(*printer_words.KEPT)

# Where a closing count's expected figure comes from (kiosk/day_counts.py keeps it).
COUNT_SOURCES = (_("ledger less POS sales since received"),)

# A package's status and a location's kind as records keep them (with spaces for "_"), and
# the words a run keeps for a package not yet on any shelf: ``Known`` says them again.
KEPT = (_("active"), _("quarantined"), _("on hold"), _("empty"), _("rejected"),
        _("returned"), _("destroyed"), _("sold"), _("not received"), _("vault"),
        _("sales floor"), _("quarantine"), _("receiving"), _("tote"), _("pickup"),
        _("nowhere yet"))
# The reasons a hold keeps (kiosk/holds.py), and what happens next to a held package.
HOLD_REASONS = (_("Damaged"), _("Expired"), _("Recalled"), _("Customer return"),
                _("Discrepant (count or label differs)"), _("Suspected tampering"),
                _("Failed or missing lab result"), _("Other"), _("Rejected at receiving"),
                _("Awaiting vendor (return)"), _("Awaiting destruction"),
                _("Awaiting lab retest"), _("Awaiting a manager's decision"), _("brought in"))
# What a quantity is and what it is counted in (kiosk/limits.py's measures).
MEASURE_WORDS = (_("count"), _("weight"), _("volume"), _("amount"), _("units"), _("grams"),
                 _("kilograms"), _("milligrams"), _("ounces"), _("pounds"), _("millilitres"),
                 _("litres"), _("fluid ounces"), _("dollars"))

# Why stock moved, as the kiosk writes it on a movement (a package's history says it again):
# the demo's opening stock, a restock and a putaway, the year of history `kiosk
# generate-year` writes, the dock's verdicts, a pick, a hold and its release, a return.
MOVEMENT_REASONS = (_("opening stock"), _("restock"), _("putaway"), _("received"),
                    _("picked for an order"), _("receiving verdict changed"),
                    _("into quarantine"))
kept_forms(_("received on manifest {manifest}"), _("rejected on manifest {manifest}"),
           _("receiving of manifest {manifest} cancelled"), _("pick request {request}"),
           _("{why} (approved by {name})"), _("Returned to {vendor} ({rtv})"),
           # A movement's note when only part of a package is held, destroyed or returned.
           _("{held} held in {cage}, {kept} stay sellable"),
           _("{held} held, {kept} stay sellable"), _("{held} held: {note}"),
           _("{reason} (and {held} held apart from it)"),
           # Why a hold ended, when a package was returned or destroyed.
           _("{rtv} to {vendor}; witness {name}"), _("{method}; witnessed by {name}"))
