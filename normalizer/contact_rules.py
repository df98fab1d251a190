"""The tables `normalizer.contact_block` matches: what marks a line of a contact block, on folded text.

A contact line names a phone, an e-mail or web address, a postal address, a job title, a department, a company's
legal form or trade, or a logo placeholder. Spanish and English come first; Portuguese, German, French and Italian
are the other languages the desk's clients write in.
"""

from __future__ import annotations

import re

PHONE_LABELS = (
    "tel telf tlf tel. telefono fono cel celular movil phone mobile mob cell fax pbx ext anexo whatsapp wa direct"
    " office oficina handy telefone fone ramal"
)
SHORT_PHONE_LABELS = "m t f"  # only before a colon and a number: "M: +51 987 654 321"
TITLES = (
    # Spanish and Portuguese
    "jefe jefa gerente director directora diretor diretora coordinador coordinadora coordenador coordenadora analista"
    " ingeniero ingeniera engenheiro engenheira ing ing. lic lic. asistente assistente auxiliar administrador"
    " administradora contador contadora contralor tesorero tesorera auditor auditora tecnico tecnica especialista"
    " lider supervisor supervisora subgerente presidente vicepresidente secretaria secretario recepcionista asesor"
    " asesora consultor consultora ejecutivo ejecutiva desarrollador desarrolladora programador arquitecto"
    " arquitecta abogado abogada socio socia fundador fundadora propietario representante responsable encargado"
    " encargada docente profesor profesora rector decano doctor doctora dr dra medico enfermera"
    # English
    " manager engineer head specialist assistant administrator officer coordinator analyst ceo cto cfo coo cio cso"
    " vp svp evp controller accountant treasurer auditor consultant developer architect partner founder owner"
    " counsel attorney lawyer receptionist executive advisor agent representative technician lead principal"
    # German, French, Italian
    " leiter leiterin geschaftsfuhrer geschaftsfuhrerin abteilungsleiter sachbearbeiter sachbearbeiterin"
    " responsable directeur directrice gerant charge chargee ingenieur responsabile direttore direttrice impiegato"
    " impiegata amministratore"
)
DEPARTMENTS = (
    "departamento area division gerencia unidad direccion dpto depto rrhh rr.hh. sistemas tecnologia soporte"
    " operaciones ventas compras finanzas contabilidad logistica mantenimiento facturacion cartera tesoreria"
    " department dept hr support operations sales purchasing finance accounting logistics maintenance"
    " billing abteilung service assistenza servizio clienti"
)
TRADES = (
    "consultores consulting consultoria solutions soluciones solucoes services servicios servicos group grupo"
    " associates asociados partners distribuidora comercializadora importadora exportadora industrias industria"
    " laboratorios laboratorio clinica hospital universidad universidade colegio fundacion fundacao hermanos"
    " constructora ingenieria architects arquitectos transportes logistics logistica holding corporacion"
    " corporation company compania companhia enterprises empresas studio estudio"
)
COMPANY_FORMS = (
    r"s\.?a\.?s|s\.a|s\.a\.c|s\.a\.a|sas|ltda|cia|inc|llc|ltd|gmbh|corp|plc|s\.?r\.?l|s\.?l|s\.?l\.?u"
    r"|s\.? de r\.?l|s\.?a\.? de c\.?v|e\.?i\.?r\.?l|sarl|s\.p\.a|srl|b\.v|n\.v|eireli|nit|ruc|rfc"
    r"|cnpj|p\.?\s?iva|ust-idnr|hrb"
)
STREETS = (
    "calle carrera cra cll kra av avda avenida diagonal transversal piso edificio edif torre local barrio urb"
    " street st suite floor road avenue ave blvd bulevar boulevard paseo camino km rua rue via strasse strabe"
    " andar sala of oficina apartado c.p cp zip plaza"
)
COUNTRIES = (
    "colombia ecuador peru mexico chile argentina venezuela bolivia uruguay paraguay guatemala honduras salvador"
    " nicaragua costa rica panama cuba dominicana puerto rico espana brasil brazil portugal usa united states"
    " deutschland germany france francia italia italy"
)
SERVICE_DESKS = r"atencion (?:al )?(?:cliente|usuario|empresas)|servicio al cliente|customer (?:service|support|care)"


def _words(table: str) -> str:
    return "|".join(re.escape(word) for word in sorted(set(table.split()), key=len, reverse=True))


CONTACT = re.compile(
    rf"(?<!\w)(?:{_words(PHONE_LABELS + ' ' + SHORT_PHONE_LABELS)})\s*[:.]\s*[+(\d]"  # "Tel.: 601", "M: +51"
    rf"|(?<!\w)(?:{_words(PHONE_LABELS)})(?!\w)(?=.*\d{{3}})"  # "Cel 310 555 1234"
    r"|\+?\(?\d{1,4}\)?[\s.-]?\d{2,4}[\s.-]?\d{3,4}(?:[\s.-]?\d{2,4})?"  # a phone number
    r"|\S@\S+\.\w|(?<!\w)@\w{3,}"  # an e-mail address, a social handle
    r"|https?://|www\.|\w\.(?:com|net|org|co|ec|pe|mx|cl|ar|es|de|br|io|it|fr|pt)(?:\.\w\w)?(?!\w)"  # a web site
    r"|^\s*\[(?:logo|image|imagen|imagem|cid:|firma|signature|bild)|^\s*<?image\d*\.(?:png|jpe?g|gif)"  # a logo
    rf"|(?<!\w)(?:{COMPANY_FORMS})(?!\w)\.?"
    rf"|(?<!\w)(?:{_words(STREETS)})(?!\w)\.?\s*(?:\S+\s+){{0,3}}?\S*\d"  # an address: a street and its number
    r"|^(?:calle|carrera|cra|cll|av|avda|avenida|blvd|bulevar|paseo|camino|km|rua|rue|via)(?!\w)"
    rf"|(?<!\w)(?:{_words(COUNTRIES)})\W*$"  # a city line ends with its country
    rf"|(?<!\w)(?:{_words(TITLES)}|{_words(DEPARTMENTS)}|{_words(TRADES)})(?!\w)"
    rf"|{SERVICE_DESKS}|\s&\s|linkedin|instagram|facebook|twitter|iso \d{{4,5}}"
)
