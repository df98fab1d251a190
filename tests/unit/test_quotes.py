"""normalizer.quotes.strip_quotes: what the client wrote now, in Spanish and English, and what must stay."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.email.parse import parse_email
from normalizer.quotes import strip_quotes

TALON = Path(__file__).resolve().parents[1] / "fixtures" / "quotes" / "talon" / "standard_replies"

SPANISH: list[tuple[str, str, str]] = [
    (
        "gmail-one-line",
        "Hola, la VPN sigue sin conectar.\n\n"
        "El lun, 3 feb 2025 a las 10:00, Soporte <soporte@example.com> escribió:\n"
        "> Buenos días, ¿puede probar de nuevo?\n> Saludos\n",
        "Hola, la VPN sigue sin conectar.",
    ),
    (
        "gmail-wrapped-in-the-address",
        "Adjunto la captura del error.\n\n"
        "El lun, 3 feb 2025 a las 10:00, María Fernanda Rodríguez Soporte Nivel Dos <\n"
        "soporte@example.com> escribió:\n\n> ¿Nos envía una captura?\n",
        "Adjunto la captura del error.",
    ),
    (
        "gmail-wrapped-before-escribio",
        "Ya probé reiniciando el equipo.\n\n"
        "El mié, 5 feb 2025 a las 17:42, Mesa de Ayuda TecnoLinux (soporte@example.com)\n"
        "escribió:\n> Pruebe reiniciar.\n",
        "Ya probé reiniciando el equipo.",
    ),
    (
        "outlook-mensaje-original",
        "El servidor de archivos no responde.\n\n-----Mensaje original-----\n"
        "De: Soporte <soporte@example.com>\nEnviado el: lunes, 3 de febrero de 2025 10:00\n"
        "Para: Ana <ana@cliente.example>\nAsunto: RE: [TL-000123] Servidor\n\nTexto anterior\n",
        "El servidor de archivos no responde.",
    ),
    (
        "outlook-underscores-de-block",
        "Sigue igual.\nAna\n\n________________________________\n"
        "De: Soporte <soporte@example.com>\nEnviado: lunes, 3 de febrero de 2025 10:00\n"
        "Para: Ana <ana@cliente.example>\nAsunto: Servidor\n\nTexto anterior\n",
        "Sigue igual.\nAna",
    ),
    (
        "outlook-html-fields-split-by-blank-lines",
        "No puedo imprimir desde ayer.\n\n*De:* Soporte <soporte@example.com>\n\n"
        "*Enviado:* lunes, 3 de febrero de 2025 10:00\n\n*Para:* Ana\n\n*Asunto:* Impresora\n\nTexto anterior\n",
        "No puedo imprimir desde ayer.",
    ),
    (
        "apple-mail",
        "Perfecto, ya funciona.\n\nEl 3 feb 2025, a las 10:00, Soporte <soporte@example.com> escribió:\n\n"
        "> Hemos aplicado el cambio.\n",
        "Perfecto, ya funciona.",
    ),
    (
        "thunderbird",
        "Les confirmo que el correo ya llega.\n\nEl 03/02/25 a las 10:00, Soporte escribió:\n> Revisamos el filtro.\n",
        "Les confirmo que el correo ya llega.",
    ),
    (
        "iphone-footer",
        "No me llegan los correos al celular.\n\nEnviado desde mi iPhone\n",
        "No me llegan los correos al celular.",
    ),
    (
        "outlook-mobile-footer-and-quote",
        "Necesito acceso a la carpeta de Finanzas.\n\nObtener Outlook para Android\n"
        "________________________________\nDe: Soporte <soporte@example.com>\n"
        "Enviado: martes, 4 de febrero de 2025 9:00:00 a. m.\nPara: Ana\nAsunto: Acceso\n\nviejo\n",
        "Necesito acceso a la carpeta de Finanzas.",
    ),
    (
        "dash-dash-space-signature",
        "El portátil no enciende.\n\n-- \nAna Pérez\nJefa de Contabilidad\nTel. 601 555 0101\n",
        "El portátil no enciende.",
    ),
    (
        "confidentiality-notice",
        "Favor restablecer la clave del usuario jgomez.\n\nAVISO DE CONFIDENCIALIDAD: Este mensaje y sus anexos "
        "son confidenciales y para uso exclusivo del destinatario. Si lo recibió por error, bórrelo.\n",
        "Favor restablecer la clave del usuario jgomez.",
    ),
    (
        "sign-off-with-name-and-title",
        "La impresora del piso 3 no imprime a color.\n\nSaludos,\nAna Pérez\nJefa de TI\nAcme S.A.\n",
        "La impresora del piso 3 no imprime a color.\n\nSaludos,",
    ),
    (
        "interleaved-keeps-client-lines",
        "Respondo entre líneas.\n\nEl lun, 3 feb 2025 a las 10:00, Soporte <soporte@example.com> escribió:\n"
        "> ¿Qué versión de Windows usa?\nWindows 11.\n> ¿Reinició el equipo?\nSí, dos veces.\n"
        "> Quedamos atentos.\n> Soporte\n",
        "Respondo entre líneas.\n\nWindows 11.\nSí, dos veces.",
    ),
    (
        "interleaved-keeps-a-paste-the-client-introduced",
        "El 03/02/25 a las 10:00, Soporte escribió:\n> ¿Qué ejecutó?\nEsto:\n> sudo systemctl restart nginx\n\n"
        "> ¿Y qué salió?\n\nJob failed.\n",
        "Esto:\n> sudo systemctl restart nginx\n\nJob failed.",
    ),
    ("reply-under-a-header-block", "De: Soporte\nEnviado: lunes 10:00\nPara: Ana\n\nSigue igual.\n", "Sigue igual."),
    ("banner-and-footer-mid-text", "AVISO: correo externo.\n\nNo abre.\nEnviado desde mi Galaxy\nviejo", "No abre."),
    (
        "bottom-posted",
        "El 03/02/25 a las 10:00, Soporte escribió:\n> ¿Sigue el problema?\n\nSí, sigue igual.\n",
        "Sí, sigue igual.",
    ),
    (
        "top-posted-with-a-server-footer-under-the-history",
        "Respuesta arriba.\n\nEl 03/02/25 a las 10:00, Soporte escribió:\n> viejo\n\nEste correo fue analizado por ESET.\n",
        "Respuesta arriba.",
    ),
    (
        "trailing-quote-without-header",
        "Ok, lo pruebo mañana.\n\n> Puede reinstalar el cliente VPN.\n> Saludos\n",
        "Ok, lo pruebo mañana.",
    ),
    (
        "nested-gmail-history",
        "Gracias, quedó resuelto.\n\nEl mar, 4 feb 2025 a las 9:15, Soporte <soporte@example.com> escribió:\n"
        "> Listo.\n>\n> El lun, 3 feb 2025 a las 10:00, Ana <ana@cliente.example> escribió:\n>> No anda.\n",
        "Gracias, quedó resuelto.",
    ),
]

ENGLISH: list[tuple[str, str, str]] = [
    (
        "gmail-one-line",
        "The VPN is still down.\n\nOn Mon, Feb 3, 2025 at 10:00 AM Support <support@example.com> wrote:\n"
        "> Please try again.\n",
        "The VPN is still down.",
    ),
    (
        "gmail-wrapped",
        "Attached is the screenshot.\n\nOn Mon, Feb 3, 2025 at 10:00 AM Helpdesk Level Two Support Team <\n"
        "support@example.com> wrote:\n\n> Could you send a screenshot?\n",
        "Attached is the screenshot.",
    ),
    (
        "outlook-original-message",
        "Still broken after the restart.\n\n-----Original Message-----\nFrom: Support <support@example.com>\n"
        "Sent: Monday, February 3, 2025 10:00 AM\nTo: Ann <ann@client.example>\nSubject: RE: Server\n\nold text\n",
        "Still broken after the restart.",
    ),
    (
        "outlook-from-sent-block",
        "Please reset my password.\n\n________________________________\nFrom: Support <support@example.com>\n"
        "Sent: Monday, February 3, 2025 10:00 AM\nTo: Ann\nSubject: Password\n\nold text\n",
        "Please reset my password.",
    ),
    ("sent-from-my-iphone", "Mail does not sync.\n\nSent from my iPhone\n", "Mail does not sync."),
    ("get-outlook-for-ios", "Invites fail.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n", "Invites fail."),
    (
        "signature-separator",
        "The printer jams on every job.\n-- \nAnn Smith\nOffice Manager\n",
        "The printer jams on every job.",
    ),
    (
        "interleaved",
        "On Mon, Feb 3, 2025 at 10:00 AM Support <support@example.com> wrote:\n> Which browser?\nFirefox.\n"
        "> Which version?\n128.\n> Thanks\n",
        "Firefox.\n128.",
    ),
    (
        "confidentiality-notice",
        "Please add Bob to the shared drive.\n\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are "
        "confidential and intended only for the addressee.\n",
        "Please add Bob to the shared drive.",
    ),
]

KEEP: list[tuple[str, str]] = [
    ("pasted-shell-line-mid-text", "Ejecuté esto:\n> ls -la\ny me dice permiso denegado.\nAna"),
    ("pasted-shell-line-at-the-end", "Al ejecutar el comando me aparece:\n> ls: cannot open directory"),
    ("double-dash-options", "Probé con git fetch --all\n--force\ny tampoco funcionó."),
    ("hyphen-list", "Pasos que hice:\n- reinicié el equipo\n- borré la caché\nNada funcionó."),
    ("gracias-pero", "Hola,\nGracias, pero el problema sigue:\nno puedo entrar al portal."),
    ("gracias-period-then-request", "Hola\nGracias.\nNo puedo imprimir."),
    ("form-like-fields", "Datos del incidente:\nFecha: ayer a las 9\nPara: todo el piso 3\nEl error sigue."),
    ("escribio-without-date", "El técnico escribió:\nreinicie el router\ny no lo he hecho aún."),
    ("on-without-wrote", "On Monday the server was slow.\nOn Tuesday it stopped."),
    ("indentation-kept", "Traza:\n    at Foo.bar(Foo.java:10)\n    at Main.main(Main.java:3)"),
    ("sent-from-in-a-sentence", "The report was sent from my laptop to the printer and never arrived, twice today."),
    ("enviado-desde-in-a-sentence", "Hola\nEnviado desde mi celular pero no llega\nni desde el portátil."),
    ("brand-on-the-last-line", "Marca del monitor:\nLG"),
    ("memo-fields-without-sender", "Reporte:\nFecha: hoy\nPara: Sistemas\nAsunto: impresora\nNo imprime."),
    ("de-nuevo-is-no-header", "De nuevo: falla la VPN.\nPara: todos los usuarios\nAsunto: urgente"),
]

OTHER_LANGUAGES: list[tuple[str, str, str]] = [
    ("german-attribution", "Danke.\n\nAm 20.06.24 um 16:20 schrieb Support <s@example.de>:\n> Hallo\n", "Danke."),
    ("french-outlook-block", "Merci.\n\nDe : Support\nEnvoyé : lundi 3 février 2025\nÀ : Ana\nObjet : VPN\n", "Merci."),
    ("polish-fields-on-one-line", "Dobrze.\nTemat: RE: VPN Nadawca: s@x.pl Adresat: a@x.pl\nstary\n", "Dobrze."),
    (
        "danish-closing",
        "Tak for hjælpen.\n\nMed venlig hilsen\nAnders\n",
        "Tak for hjælpen.\n\nMed venlig hilsen\nAnders",
    ),
]


CASES = [("es", SPANISH), ("en", ENGLISH), ("other", OTHER_LANGUAGES)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [case[1:] for _, cases in CASES for case in cases],
    ids=[f"{language}-{case[0]}" for language, cases in CASES for case in cases],
)
def test_what_the_client_wrote(text: str, expected: str) -> None:
    assert strip_quotes(text) == expected


@pytest.mark.parametrize("text", [c[1] for c in KEEP], ids=[c[0] for c in KEEP])
def test_text_that_only_looks_like_a_quote_stays(text: str) -> None:
    assert strip_quotes(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("  \n\n ", ""),
        ("> solo una cita\n> nada más\n", "> solo una cita\n> nada más"),
        ("El 03/02/25 a las 10:00, Soporte escribió:\n> hola\n", "El 03/02/25 a las 10:00, Soporte escribió:\n> hola"),
        ("Enviado desde mi iPhone", "Enviado desde mi iPhone"),
    ],
    ids=["empty", "blank", "only-quotes", "only-header-and-quote", "only-footer"],
)
def test_nothing_left_returns_the_original_trimmed(text: str, expected: str) -> None:
    assert strip_quotes(text) == expected


def test_crlf_and_blank_runs_are_normalised() -> None:
    text = "Línea uno\r\n\r\n\r\n\r\nLínea dos   \r\n\r\nEnviado desde mi iPhone\r\n"
    assert strip_quotes(text) == "Línea uno\n\nLínea dos"


@pytest.mark.parametrize("name", ["android", "apple_mail", "gmail", "iphone", "outlook", "thunderbird", "yahoo"])
def test_talon_replies_from_real_clients(name: str) -> None:
    raw = (TALON / f"{name}.eml").read_bytes()
    message = parse_email(raw, received_at=datetime.now(UTC), recipient="support@example.com")
    assert strip_quotes(message.text) == "Hello"
