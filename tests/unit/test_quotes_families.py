"""strip_quotes on the families of tests/fixtures/quotes/CONVENTION.md: closings and lone names kept, contact blocks,
legal and list footers dropped, forwards kept below their header, invisible characters gone."""

from __future__ import annotations

import pytest

from normalizer.language import LanguageDetector
from normalizer.quotes import strip_quotes
from normalizer.request import Normalizer
from tests.unit.test_normalizer import inbound

TEXT = "La VPN no conecta desde la casa, sale el error 809."
OUTLOOK_BLOCK = (
    "________________________________\nDe: Sistemas Andina <sistemas@andina.com.co>\n"
    "Enviado: lunes, 2 de diciembre de 2024 8:10\nPara: Ana Gómez <ana@andina.com.co>\nAsunto: Backup\n\n"
)

CLEANED: list[tuple[str, str, str]] = [
    ("closing-and-lone-name-stay", f"{TEXT}\n\nSaludos,\nAna", f"{TEXT}\n\nSaludos,\nAna"),
    ("thanks-alone-is-a-closing", f"{TEXT}\n\nMuchas gracias.\nAna", f"{TEXT}\n\nMuchas gracias.\nAna"),
    (
        "contact-block-under-the-closing-goes-whole",
        f"{TEXT}\n\nCordialmente,\nManuel Pineda\nCoordinador de TI\nAndina S.A.S.\nTel. +57 601 555 1234\n",
        f"{TEXT}\n\nCordialmente,",
    ),
    (
        "a-long-address-line-is-still-the-block",
        f"{TEXT}\n\nSaludos cordiales,\nLic. Fernando Ávila\nContador General\n"
        "Tel. 477 712 3344 ext. 105 | Cel. 477 198 2210 | Fax 477 712 3345\n"
        "Blvd. Adolfo López Mateos 2510 Ote., Col. Centro, León, Guanajuato, México\n",
        f"{TEXT}\n\nSaludos cordiales,",
    ),
    (
        "contact-block-without-a-closing",
        f"{TEXT}\n\nManuel Pineda\nCoordinador TI\nCel. 310 555 1234\n",
        TEXT,
    ),
    ("lone-name-without-a-closing-stays", f"{TEXT}\n\nManuel Pineda", f"{TEXT}\n\nManuel Pineda"),
    (
        "what-follows-the-lone-name-goes",
        f"{TEXT}\n\nSaludos,\nAna\n\nwww.andina.com.co\n[logo]\n",
        f"{TEXT}\n\nSaludos,\nAna",
    ),
    (
        "contact-block-after-a-delimiter-under-the-name",
        f"{TEXT}\n\nBest regards,\nJohn\n\n--\nJohn Doe\nSenior Developer\nExample Corp\n",
        f"{TEXT}\n\nBest regards,\nJohn",
    ),
    (
        "data-protection-notice-between-text-and-quote",
        f"{TEXT}\n\nSaludos,\nHernán\n\nAviso de privacidad: En cumplimiento de la Ley 1581 de 2012, Andina S.A.S. "
        "informa que sus datos personales serán tratados según su política.\n\n"
        "El lun, 2 dic 2024 a las 17:08, Camilo <camilo@x.co> escribió:\n> Reinicie el router.\n",
        f"{TEXT}\n\nSaludos,\nHernán",
    ),
    (
        "peruvian-law-notice-after-the-contact-block",
        f"{TEXT}\n\nAtentamente,\n\nMilagros Quispe\nAsistente de RR. HH.\nTelf.: (01) 614-2200\n\n"
        "De conformidad con la Ley N° 29733, Ley de Protección de Datos Personales, le informamos que sus datos "
        "serán incorporados en un banco de datos.\n",
        f"{TEXT}\n\nAtentamente,",
    ),
    (
        "mailing-list-footer-of-bars",
        f"{TEXT}\n\nSaludos,\nFelipe\n\n| Lista de correo soporte@listas.uni.edu.co\n"
        "| Para darse de baja envíe un mensaje con la palabra unsubscribe\n",
        f"{TEXT}\n\nSaludos,\nFelipe",
    ),
    (
        "emphasised-original-message",
        f"{TEXT}\n\n*-------- Original Message --------*\nFrom: Support <s@x.com>\nSent: Monday\nTo: Ann\n\nold\n",
        TEXT,
    ),
    (
        "gmail-forward-keeps-the-forwarded-text",
        "Les reenvío el error del servidor de copias.\n\n---------- Forwarded message ---------\n"
        "De: backup <backup@andina.com.co>\nDate: lun, 2 dic 2024 a las 2:00\nSubject: [FALLO] Copia\n"
        "To: <sistemas@andina.com.co>\n\nLa tarea Copia nocturna terminó con errores.\n",
        "Les reenvío el error del servidor de copias.\n\nLa tarea Copia nocturna terminó con errores.",
    ),
    (
        "invisible-characters-go",
        "Hola\u200b, el Wi\u2060-Fi se cae.\ufeff\n\u00a0\u00a0\n\u1427\n",
        "Hola, el Wi-Fi se cae.",
    ),
    (
        "a-notice-the-clients-comment-goes-on-under",
        "Estimado cliente, adjuntamos la constancia.\n\nEste correo es confidencial y está dirigido exclusivamente a "
        "su destinatario. Si lo ha recibido por error, elimínelo.\n\n¿Lo pueden revisar?\n\nGracias,\nMilagros",
        "Estimado cliente, adjuntamos la constancia.\n\n¿Lo pueden revisar?\n\nGracias,\nMilagros",
    ),
    (
        "a-contact-block-the-clients-postscript-goes-on-under",
        f"{TEXT}\n\nThanks,\nMark Ellis\nIT Coordinator | Ridgeway Foods\n+1 305 555 0147\n\nP.S. It is INC-20418.",
        f"{TEXT}\n\nThanks,\n\nP.S. It is INC-20418.",
    ),
    (
        "a-delimiter-keeps-the-closing-above-it",
        f"{TEXT}\n\nSlds,\nNico\n-- \nNicolás Ferreyra\nTel: +54 11 4302-5566\n\nEste correo fue analizado por ESET.",
        f"{TEXT}\n\nSlds,\nNico",
    ),
    (
        "a-closing-under-a-notice-stays",
        f"{TEXT}\n\nAVISO DE CONFIDENCIALIDAD: este mensaje es confidencial.\n\nSaludos,\nAna",
        f"{TEXT}\n\nSaludos,\nAna",
    ),
    ("nbsp-entity-lines-go", "La impresora no imprime.\n&nbsp;\n&nbsp; &nbsp;\n", "La impresora no imprime."),
    ("a-joiner-inside-an-emoji-stays", "Gracias 👨\u200d💻", "Gracias 👨\u200d💻"),
]

KEPT = [
    ("form-fields-with-a-floor", f"{TEXT}\n\nEquipo afectado: PC-01\nUbicación: Piso 3"),
    ("the-clients-own-number", f"{TEXT}\n\nPueden llamarme al 310 555 1234 en la tarde.\n\nGracias,"),
    ("two-names-are-not-a-contact-block", f"{TEXT}\n\nSaludos,\nAna Gómez\nLuis Pérez"),
    ("postscript-under-the-name", f"{TEXT}\n\nSaludos,\nAna\n\nP.D. también falla el correo."),
    ("a-line-under-the-name", f"{TEXT}\n\nSaludos,\nAna\n\nAdjunto el log del error."),
    ("pasted-config-in-new-mail", "Configuré así:\n> server=10.0.0.1\n> port=8080\nY no conecta."),
    (
        "a-data-protection-request",
        "Señores Soporte TI:\n\nEn ejercicio de mi derecho de habeas data, conforme a la Ley 1581 de 2012, solicito que "
        "se eliminen mis datos personales de la plataforma.\n\nAgradezco confirmar la supresión, de acuerdo con su "
        "política de tratamiento de datos personales.\n\nAtentamente,\nJaime Villamizar",
    ),
    (
        "a-notice-the-client-wants-in-the-signatures",
        "Hola,\n\nEl jurídico pidió incluir este texto en el pie de todos los correos:\n\nAviso de privacidad: sus "
        "datos personales serán tratados conforme a la Ley 1581 de 2012.\n\n¿Lo pueden aplicar en Exchange?",
    ),
    (
        "printing-as-the-problem",
        "Hola,\n\nAntes de imprimir este correo o cualquier otro, Outlook se congela.\n\nGracias,",
    ),
    (
        "headers-the-client-pasted",
        "Me llegó este correo falso. Los encabezados son:\n\nReturn-Path: <a@falso.top>\nReceived: from mx.falso.top\n"
        "From: Banco <a@falso.top>\nTo: pagos@andina.com.co\nSubject: Verifique su cuenta\nDate: Tue, 1 Dec 2026\n\n"
        "¿Pueden bloquear ese dominio?",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CLEANED], ids=[c[0] for c in CLEANED])
def test_the_clients_words(text: str, expected: str) -> None:
    assert strip_quotes(text) == expected


@pytest.mark.parametrize("text", [c[1] for c in KEPT], ids=[c[0] for c in KEPT])
def test_the_clients_lines_stay(text: str) -> None:
    assert strip_quotes(text) == text


def test_an_outlook_block_heads_a_forward_only_when_the_subject_says_so() -> None:
    text = f"¿Esto es grave?\n\n{OUTLOOK_BLOCK}La copia nocturna falló.\n"
    assert strip_quotes(text) == "¿Esto es grave?"
    assert strip_quotes(text, forward=True) == "¿Esto es grave?\n\nLa copia nocturna falló."


def test_the_client_saying_it_forwards_makes_a_block_a_forward() -> None:
    text = f"Les reenvío el error que nos llegó anoche.\n\n{OUTLOOK_BLOCK}La copia nocturna falló.\n"
    assert strip_quotes(text) == "Les reenvío el error que nos llegó anoche.\n\nLa copia nocturna falló."


@pytest.mark.parametrize(
    ("subject", "forwarded_text_kept"),
    [
        ("RV: Backup", True),
        ("FW: Backup", True),
        ("Fwd: Backup", True),
        ("WG: Backup", True),
        ("RE: RV: Backup", False),
    ],
)
def test_the_normalizer_reads_a_forward_from_the_subject(subject: str, forwarded_text_kept: bool) -> None:
    message = inbound(subject, f"¿Esto es grave?\n\n{OUTLOOK_BLOCK}La copia nocturna falló.\n")
    body = Normalizer("TL", LanguageDetector("es")).normalize(message).body
    assert ("La copia nocturna falló." in body) is forwarded_text_kept
    assert body.startswith("¿Esto es grave?")
