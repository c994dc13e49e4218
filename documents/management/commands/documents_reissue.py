"""Reissue a document under its own number with the parties' current details (docs/operations.md)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from documents.models import Document
from documents.services import document_reissue


class Command(BaseCommand):
    help = "Reissue documents (by number) with the parties' current legal details; amounts never change."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("numbers", nargs="+", help="e.g. RC-2026-000012")
        languages = [code for code, _ in settings.LANGUAGES]
        parser.add_argument("--language", choices=languages, default="", help="default: the recipient's")

    def handle(self, *args: Any, **options: Any) -> None:
        for number in options["numbers"]:
            document = Document.objects.filter(number=number).first()
            if document is None:
                raise CommandError(f"no document numbered {number}")
            document = document_reissue(document=document, language=options["language"])
            self.stdout.write(f"{document.number}: revision {document.revision} ({document.language})")
