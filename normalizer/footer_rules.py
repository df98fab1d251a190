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
    r"|atentamente|cordialmente|respetuosamente|afectuosamente|atte?\.?|quedo atent[oa]|quedamos atentos"
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

# Legal notices (`normalizer.notices`). A heading is one by itself; so is "This message … is confidential" (a legal
# word must follow: "Este correo es para pedirles …" is the client's). A generic "Aviso:", a privacy heading or a
# law named anywhere in the line is one only in a sentence addressed to the reader (`NOTICE_VOICE`): a client may
# write about a data-protection request or a notice they want in everyone's signature.
NOTICE_HEADING = re.compile(
    r"^[\s*]*(?:aviso de confidencialidad|aviso legal|legal notice|nota de confidencialidad"
    r"|clausula de confidencialidad|confidentiality notice|privileged (?:and|&) confidential|aviso de confidencialidade"
    r"|haftungsausschluss|mentions legales|(?:confidencialidad|confidential|confidentiality|disclaimer)\s*$"
    r"|think before (?:you )?print|save a tree|p pensez|pensez a l'environnement"
    r"|aviso de privacidad|aviso de privacidade|privacy notice|politica de privacidad\s*:"
    r"|(?:por favor )?(?:considere|piense en|cuide) (?:el|al) medio ambiente|cuidemos el (?:medio ambiente|planeta)"
    r"|no imprima (?:este|el) (?:correo|mensaje)|(?:please )?consider the environment|please don'?t print"
    r"|libre de virus|sin virus|livre de virus|virus-free|(?:este|el) (?:correo|mensaje|e-?mail)(?: electronico)?"
    r" (?:ha sido|fue) (?:analizad|escanead|revisad|verificad)|this (?:e-?mail|message) (?:has been|was) (?:scanned"
    r"|checked)|esta mensagem foi (?:verificad|analisad)"
    r"|(?:antes de imprimir|before printing|please consider the environment).{0,100}?(?:ambiente"
    r"|planeta|naturaleza|arbol|necesario|environment|papel|paper|tree)"
    r"|geschaftsfuhrer(?:in)?:|sitz der gesellschaft|amtsgericht|registergericht|handelsregister"
    r"|to unsubscribe|you received this message because you are subscribed"
    r"|para (?:darse de baja|desuscribirse|cancelar (?:la|su) suscripcion)|recibiste este mensaje porque"
    # "This message (and its attachments) is/contains/may contain …", in the clients' languages
    r"|(?:este|el presente|esta|this|ce|cet|questo|il presente|diese|dieser) (?:correo|mensaje|e-?mail|mensagem"
    r"|message|communication|courriel|messaggio|nachricht)(?: electronico| eletronica)?"
    r"(?:,? (?:y|e|and|et|und) (?:sus|seus|cualquier|its|any|toutes les|ses|i suoi|eventuali|alle|etwaige) .{0,60}?)?,?"
    r" (?:es|son|e|sao|contiene|contem|puede contener|pode conter|y cualquier|esta dirigido|va dirigido"
    r"|estan dirigidos|is|are|may contain|contains|est|sont|peut contenir|contient|puo contenere|contiene"
    r"|enthalt|kann|ist|sind)\b.{0,100}?(?:confiden|privileg|destinatari|intended|recipient|reservad|riservat"
    r"|vertraulich|exclusiv|protegid|protected|legal))"
)
NOTICE_START = re.compile(
    r"^[\s*]*(?:(?:confidencialidad|confidential|confidentiality|disclaimer|aviso|advertencia)\s*(?::|/|$)"
    r"|(?:la|a|the|le|l'|die) (?:informacion|informacao|information|informations|informazioni|informationen)"
    r" (?:contenida|incluida|contida|contained|included|contenues|contenute|enthaltenen) (?:en|in|neste|nesta|dans)"
    r"|politica de privacidad|proteccion de datos|habeas data"
    r"|(?:de conformidad con|en cumplimiento de|conforme a|segun lo dispuesto en|de acuerdo con|en virtud de|segun"
    r"|in accordance with|pursuant to|em conformidade com|nos termos d|ai sensi d|conformement a|gema(?:ss|ß))"
    r"(?: lo dispuesto en)? (?:la|el|lo|a|o|the|au|al|der|dem)? ?(?:ley|lei"
    r"|legge|loi|gesetz|reglamento|regulamento|regolamento|reglement|regulation|verordnung|decreto|d\.lgs))"
)
LAW_MENTION = re.compile(
    r"politica de tratamiento de (?:la informacion|datos)|tratamiento de (?:sus |los )?datos personales"
    r"|ley (?:estatutaria )?(?:n\W{0,2}\s?)?(?:1581|1266|29733)|ley federal de proteccion de datos|\(?(?:rgpd|gdpr"
    r"|lgpd|lopdgdd|dsgvo)\)?(?!\w)|lei geral de protecao de dados|(?:reglamento|regulation|regolamento) \(?ue\)?"
    r" ?2016/679"
)
NOTICE_VOICE = re.compile(
    r"(?<!\w)(?:les? informamos|le informa|informa(?:mos)? que|we inform|inform you|sus datos|seus dados"
    r"|your (?:personal )?(?:data|information)|si (?:usted )?(?:no es|ha recibido|recibio|lo ha recibido)"
    r"|if you (?:are not|have received|received)|se voce (?:nao e|recebeu)|destinatari"
    r"|intended (?:only )?(?:for|recipient)|addressee|(?:pode|podera) exercer|(?:puede|podra) ejercer"
    r"|you (?:may|can) exercise"
    r"|usted (?:puede|podra)|titular(?:es)? de (?:los )?datos|confidencial|confidential|riservat|vertraulich"
    r"|privilegiad|privileged|le informazioni|vos donnees|ihre daten)"
)

# "This message comes from outside the organisation" banners that mail servers put above the text, and Outlook's
# "first contact" tip ("You don't often get email from …. Learn why this is important").
BANNER = re.compile(
    r"^[\s*\[]*(?:caution|warning|external|externo|externa|extern|precaucion|advertencia|atencion|atencao|aviso"
    r"|correo externo|achtung|attention|attenzione)\b"
    r".{0,200}?\b(?:e-?mail|message|sender|correo|mensaje|remitente|mensagem|remetente|nachricht|absender|courriel"
    r"|expediteur|messaggio|mittente)\b.{0,120}?\b(?:originated|outside|external|extern[oa]|externen|fuera de"
    r"|fora d[ae]|ausserhalb|au(?:ss|ß)erhalb|exterieur|esterno|esterna|se origino)"
    r"|.{0,300}?aka\.ms/learnaboutsenderidentification"
)

# A mailing list's footer names the list or how to leave it.
LIST_WORDS = re.compile(r"lista|list|unsubscribe|suscri|subscri|darse de baja|archiv|mailing|grupo|group")
