"""The email benchmark's corpus: 1,000 support mails built the same way every run (a fixed seed), as .eml files.

What a desk's mailbox looks like on a busy morning: clients of the configured organisations and strangers, in
Spanish and English, plain text from phones, multipart/alternative from Outlook and Gmail with an HTML part,
replies that quote the mail they answer (Gmail's "El ... escribió:" and Outlook's "De: / Enviado:" blocks) with
In-Reply-To and References, and a few small attachments. Both the gateway and django-helpdesk read these same files.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

SUPPORT = "soporte@tecnolinux.com"
SENDERS = 250
DOMAINS = ["andina.com.co", "clinicadelnorte.co", "northwind.example", "gmail.com", "hotmail.com"]
NAMES = ["Ana Gómez", "Luis Pérez", "María Rodríguez", "Carlos Díaz", "Sandra Martínez", "John Miller",
         "Laura Castro", "Pedro Ramírez", "Emily Clark", "Jorge Vargas", "Diana Torres", "Andrés Rojas"]  # fmt: skip
PROBLEMS = {
    "es": [("La impresora no imprime", "la impresora del piso {n} no imprime desde ayer y muestra un error de papel"),
           ("Sin internet en la sede", "la sede {n} está sin internet desde las 7, ya reiniciamos el router"),
           ("El correo no sincroniza", "Outlook no sincroniza, el último correo es de hace {n} horas"),
           ("Cambio de contraseña", "necesito restablecer la contraseña del usuario contabilidad{n}, quedó bloqueado"),
           ("VPN no conecta", "la VPN no conecta desde la casa, sale el error {n}809 al autenticar"),
           ("Servidor lento", "el servidor de archivos está muy lento, copiar un archivo de {n} MB tarda minutos")],
    "en": [("Printer not printing", "the printer on floor {n} has not printed since yesterday and shows a paper jam"),
           ("No internet at the office", "office {n} has had no internet since 7 am, we already restarted the router"),
           ("Email not syncing", "Outlook is not syncing my mail, the last message is {n} hours old"),
           ("Password reset", "please reset the password of user accounting{n}, it is locked"),
           ("VPN will not connect", "the VPN does not connect from home, error {n}809 when authenticating")],
}  # fmt: skip
GREETING = {"es": ["Buenos días,", "Hola,", "Cordial saludo,"], "en": ["Good morning,", "Hi,", "Hello team,"]}
CLOSING = {"es": ["Quedo atento, gracias.", "Gracias por la ayuda."], "en": ["Thanks in advance.", "Best regards,"]}
FILLER = {
    "es": "Adjunto más detalles: el problema empezó después de la actualización de anoche y afecta a varios usuarios.",
    "en": "More details: it started after last night's update and affects several users in the team.",
}


class Corpus:
    """Builds the mails one by one; a reply quotes a mail built earlier from the same sender."""

    def __init__(self, seed: int = 1) -> None:
        self._random = random.Random(seed)
        self._start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
        self._sent: dict[str, EmailMessage] = {}  # the last mail of each sender, to reply to

    def mail(self, n: int) -> EmailMessage:
        pick = self._random
        client = pick.randrange(SENDERS)
        name = NAMES[client % len(NAMES)]
        sender = f"{ascii_name(name)}.{client}@{DOMAINS[client % len(DOMAINS)]}"
        language = "en" if name in ("John Miller", "Emily Clark") or client % 7 == 0 else "es"
        subject, problem = pick.choice(PROBLEMS[language])
        lines = [pick.choice(GREETING[language]), "", problem.format(n=n) + ".", ""]
        lines += [FILLER[language]] * pick.randint(0, 4) + ["", pick.choice(CLOSING[language]), "", f"-- \n{name}"]
        message = EmailMessage()
        message["From"] = f"{name} <{sender}>"
        message["To"] = SUPPORT
        message["Date"] = format_datetime(self._start + timedelta(seconds=30 * n))
        message["Message-ID"] = f"<bench-{n}.{pick.getrandbits(32):08x}@{sender.split('@')[1]}>"
        earlier = self._sent.get(sender)
        text = "\n".join(lines) + "\n"
        if earlier is not None and pick.random() < 0.35:
            subject = "Re: " + str(earlier["Subject"])
            message["In-Reply-To"] = earlier["Message-ID"]
            message["References"] = earlier["Message-ID"]
            text += quoted(earlier, language, n)
        message["Subject"] = subject
        message.set_content(text)
        if pick.random() < 0.3:
            paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n\n"))
            message.add_alternative(f'<html><body><div dir="ltr">{paragraphs}</div></body></html>', subtype="html")
        if pick.random() < 0.05:
            content = bytes(pick.getrandbits(8) for _ in range(pick.randint(20_000, 60_000)))
            message.add_attachment(content, maintype="application", subtype="pdf", filename=f"captura-{n}.pdf")
        self._sent[sender] = message
        return message


def ascii_name(name: str) -> str:
    """ "María Rodríguez" -> "maria": the local part of the client's address."""
    return name.split()[0].lower().translate(str.maketrans("áéíóú", "aeiou"))


def quoted(earlier: EmailMessage, language: str, n: int) -> str:
    """The earlier mail's text below a reply header, the way Gmail (">" lines) or Outlook (a header block) quotes."""
    body = earlier.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    if n % 2:
        header = (
            "El lun, 30 nov 2026 a las 9:12, {} escribió:" if language == "es" else "On Mon, Nov 30, 2026, {} wrote:"
        )
        return "\n" + header.format(earlier["From"]) + "\n" + "".join(f"> {line}\n" for line in text.splitlines())
    block = f"De: {earlier['From']}\nEnviado: lunes, 30 de noviembre de 2026 9:12\nPara: {SUPPORT}\n"
    return f"\n________________________________\n{block}Asunto: {earlier['Subject']}\n\n{text}"


def write_corpus(folder: Path, count: int = 1_000) -> list[Path]:
    """`count` mails as `NNNN.eml` (CRLF line ends, as they travel over SMTP)."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = Corpus()
    paths = []
    for n in range(count):
        path = folder / f"{n:04d}.eml"
        path.write_bytes(corpus.mail(n).as_bytes(policy=SMTP))
        paths.append(path)
    return paths
