"""Messages whose English a record keeps filled in (a rejection's reason on a manifest line,
a label's data): ``kiosk.words.Known`` finds them again by their English, with their
arguments, to say them in the reader's language on a screen, slip or label."""

from kiosk.words import _, kept_forms

kept_forms(_("Short: {got} of {sent} received"), _("Over: {got} received, {sent} shipped"),
           _("Count does not match: {counted} counted, {shipped} shipped"),
           _("Lab test failed: {tests}."),
           _("No lab results (COA) for this package or batch {batch}."),
           _("Label says {name} {label}% but the lab found {lab}% (more than {tolerance}% "
             "apart)."),
           _("{number} {unit}"))
