"""Scene-setting lines: a short sentence that only describes, in the French imperfect.

"L’équipe, empruntée et imprécise, semblait sans solution." or "Le stade était plein."
is colour from the story's narrative, not its news: taken into a summary it
describes a moment the summary does not tell (a first half of a match the team
went on to win). The scorer takes such a sentence only as a last resort (see
:func:`digest.editorial.summarize.scoring.score_sentences`).

A sentence is scene-setting when it is short (under :data:`MAX_WORDS` words), its verb
is the imperfect of being or seeming ("était" not followed by a past participle,
"semblait", "paraissait", "restait", "demeurait", "régnait", "il y avait", "avait
l'air") and nothing in it marks a verb in another tense ("a", "ont", "est", "sera",
"doit"...). Not scene-setting: the pluperfect and the passive ("était parti", "avait
rejeté", "étaient attendus": events), the conditional ("devrait", "pourrait": what is
announced), and longer sentences, which carry facts ("Le taux était de 3 % en 2024,
contre…"). French only: English has no tense of its own for a description.

Measured on the French development split (OrangeSum validation, with headlines): 46
of its sentences are scene-setting, and holding them back changes R1 by -0.01 (31.16
-> 31.15). A first, looser version (any "-ait" verb) also caught conditionals and
pluperfects, which carry news, and cost 0.07 R1 even restricted to short sentences.
"""

from __future__ import annotations

import re

#: A scene-setting line is shorter than this many words.
MAX_WORDS = 13

# The imperfect of a verb of being or seeming ("était", "semblait", "restait", "il y
# avait"): a description, not an event. "avait" alone is left out (it is mostly the
# pluperfect's auxiliary, "avait rejeté", a fact), and so is every "-rait" form ("devrait",
# "pourrait": the conditional, which announces).
_STATE = re.compile(
    r"\b(?:(?:était|étaient)(?P<next>(?:\s+(?:bien|déjà|toujours|encore|alors|pourtant|très|trop|plus|pas|si|tout|aussi|\w+ment))*"
    r"\s+[\w’']+)?"
    r"|semblai(?:t|ent)|paraissai(?:t|ent)|restai(?:t|ent)|demeurai(?:t|ent)|régnai(?:t|ent)|il y avait"
    r"|avai(?:t|ent) l[’']air)\b",
    re.IGNORECASE,
)
# A word after "était" that ends like a past participle makes it the pluperfect or the
# passive ("était parti", "étaient attendus"): an event, not a description.
_PARTICIPLE = re.compile(
    r"(?:é|ée|és|ées|i|ie|is|ies|u|ue|us|ues|it|ite|its|ites|ert|erte|erts|ertes|ort|orte|orts|ortes)$", re.IGNORECASE
)
_OTHER_TENSE = re.compile(
    r"\b(?:a|ont|est|sont|sera|seront|va|vont|doit|doivent|peut|peuvent|faut|avons|avez|sommes|êtes|fut|furent"
    r"|aura|auront)\b",
    re.IGNORECASE,
)


def is_scene_setting(text: str, language: str, *, words: int) -> bool:
    """True when ``text`` (``words`` words long) is a short French description in the imperfect."""
    if words >= MAX_WORDS or not language.lower().startswith("fr") or _OTHER_TENSE.search(text):
        return False
    for match in _STATE.finditer(text):
        following = match.group("next")
        if following is None or not _PARTICIPLE.search(following.split()[-1]):
            return True
    return False
