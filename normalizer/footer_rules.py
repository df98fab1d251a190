"""The tables `normalizer.signatures` matches: closings, phone footers, legal notices and external-sender banners.

Every pattern is matched on folded text (lowercase, no accents, see `normalizer.folding`), so "Grüße", "GRUSSE" and
"grusse" need one entry only where folding makes them equal ("ß" stays "ß"). Spanish and English come first; the
other languages are the ones the third-party fixture corpora show clients using.
"""

from __future__ import annotations

import re

# Closings that end a message whatever punctuation follows them (a name may follow on the same line).
STRONG_SIGN_OFFS = (
    # Spanish
    r"(?:(?:un|muchos|afectuosos|cordiales) )?saludos?(?: cordiales| afectuosos)?|(?:un )?cordial(?:es)? saludos?"
    r"|atentamente|cordialmente|respetuosamente|afectuosamente|atte\.?|quedo atent[oa]|quedamos atentos"
    r"|(?:un )?abrazos?|salud",
    # English
    r"all the best|best(?: regards| wishes)?|(?:kind|warm|warmest|many) regards|regards|(?:yours )?sincerely(?: yours)?"
    r"|yours truly|cheers|respectfully|thanks (?:and|&) regards",
    # German
    r"(?:mit )?(?:freundlichen|freundliche|viele|beste|liebe|herzliche|schone) (?:gru(?:ß|ss)en?|gruße|grusse)"
    r"|gru(?:ß|ss)e|mfg",
    # French, Portuguese, Italian
    r"(?:bien )?cordialement|bien a vous|(?:sinceres )?salutations|au revoir|cdt|cumprimentos|atenciosamente"
    r"|abracos|adeus|(?:cordiali|distinti) saluti|saluti",
    # Dutch, Danish, Norwegian, Swedish, Polish, Finnish
    r"(?:met )?vriendelijke groet(?:en)?|groeten|groetjes|(?:med )?venn?lig hilsen|hilsen|mvh|kh"
    r"|(?:med )?vanlig(?:a)? halsning(?:ar)?|halsningar|pozdrawiam|z powazaniem|do widzenia|(?:ystavallisin )?terveisin"
    r"|hyvasti",
)
# Thanks close a message alone on their line or with a comma after them ("Gracias, pero …" is caught by the name
# check).
WEAK_SIGN_OFFS = (
    r"(?:(?:muchas|mil|much[ií]simas) )?gracias(?: de antemano)?|(?:many )?thanks(?: in advance)?"
    r"|thank you(?: in advance)?|danke|merci|obrigad[oa]|grazie"
)
SIGN_OFF = re.compile(
    rf"^\s*(?:(?:{'|'.join(STRONG_SIGN_OFFS)})(?!\w)\s*[,.!]*|(?:{WEAK_SIGN_OFFS})\s*(?:,|[.!]*(?=\s*$)))(?P<rest>.*)$"
)

# Phone and webmail footers: the whole line, a device of a few words and at most a link after it.
DEVICE_FOOTER_STARTS = (
    "enviado (?:desde|con|via|do)",
    "sent (?:from|with|via|using)",
    "(?:obtener|obter o|get|descargar|download) outlook",
    "envoye (?:de|depuis|a partir de|avec)",
    "gesendet (?:von|mit|vom|aus)",
    r"von meinem \S+ gesendet",
    "verzonden (?:vanaf|vanuit|met|van)",
    "inviato da",
    "wys[lł]ane z",
    "lahetetty",
    "trimis de pe",
    "skickat fran",
    "sendt fra",
    "ارسلت من",
)
DEVICE_FOOTER = re.compile(
    rf"^\s*(?:{'|'.join(DEVICE_FOOTER_STARTS)})"
    r"(?P<rest>[^,;]{0,60}?)\s*(?:<https?://[^>]*>|\(https?://[^)]*\))?\s*\.?\s*$"
)
DEVICE_FOOTER_WORDS = 5
# A footer names a device or an app; a sentence ("Enviado desde mi celular pero no llega") is the client's text.
DEVICE_FOOTER_SENTENCE = re.compile(r"(?<!\w)(?:pero|porque|que|cuando|y|but|because|when|that|and)(?!\w)")
# Hungarian puts the verb last: "Az iPhone-omról küldve".
DEVICE_FOOTER_VERB_LAST = re.compile(r"^\s*az \S+ kuldve\s*$")

# Legal notices start a paragraph of their own.
DISCLAIMER = re.compile(
    r"^[\s*]*(?:aviso de confidencialidad|aviso legal|nota de confidencialidad|clausula de confidencialidad"
    r"|confidentiality notice|privileged (?:and|&) confidential|antes de imprimir|please consider the environment"
    r"|(?:confidencialidad|confidential|confidentiality|disclaimer|aviso|advertencia)\s*(?::|$)"
    r"|(?:este|el presente) (?:correo|mensaje|e-?mail)(?: electronico)?(?: y (?:sus|cualquier) (?:anexos|adjuntos"
    r"|archivos? adjuntos?))? (?:es|son|contiene|puede contener|y cualquier|esta dirigido|va dirigido|estan dirigidos)"
    r"|la informacion (?:contenida|incluida) en este"
    r"|this (?:e-?mail|message|communication)\b.{0,60}?\b(?:is|are|may contain|contains) (?:confidential|intended"
    r"|privileged|strictly|solely)"
    r"|the information (?:contained|included) in this"
    r"|aviso de privacidad|politica de privacidad|proteccion de datos|habeas data"
    r"|(?:de conformidad con|en cumplimiento de|conforme a|segun lo dispuesto en)(?: lo dispuesto en)? la ley"
    r"|.{0,300}?(?:politica de tratamiento de (?:la informacion|datos)|tratamiento de (?:sus |los )?datos personales"
    r"|ley (?:estatutaria )?(?:n\W{0,2}\s?)?(?:1581|1266|29733)|ley federal de proteccion de datos)"
    r"|to unsubscribe|you received this message because you are subscribed"
    r"|para (?:darse de baja|desuscribirse|cancelar (?:la|su) suscripcion)|recibiste este mensaje porque"
    r"|le informazioni contenute in questo|les informations contenues dans ce)"
)

# "This message comes from outside the organisation" banners that mail servers put above the text.
BANNER = re.compile(
    r"^[\s*\[]*(?:caution|warning|external|\[external\]|precaucion|advertencia|atencion|aviso|correo externo)\b"
    r".{0,200}?\b(?:e-?mail|message|sender|correo|mensaje|remitente)\b.{0,120}?\b(?:originated|outside|external"
    r"|extern[oa]|fuera de)"
)

# A mailing list's footer names the list or how to leave it.
LIST_WORDS = re.compile(r"lista|list|unsubscribe|suscri|subscri|darse de baja|archiv|mailing|grupo|group")
