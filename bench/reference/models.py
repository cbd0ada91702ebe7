"""Unmanaged models over Lyceum's tables: the reference reads the same rows and never migrates anything."""

from django.db import models


class Instructor(models.Model):
    email = models.CharField(max_length=254)
    display_name = models.CharField(max_length=80)

    class Meta:
        managed = False
        db_table = "accounts_user"

    def __str__(self) -> str:
        return self.display_name


class Category(models.Model):
    name = models.CharField(max_length=60)
    slug = models.CharField(max_length=70)

    class Meta:
        managed = False
        db_table = "marketplace_category"

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    title = models.CharField(max_length=120)
    slug = models.CharField(max_length=140)
    subtitle = models.CharField(max_length=200)
    description = models.TextField()
    category = models.ForeignKey(Category, on_delete=models.DO_NOTHING, null=True)
    instructor = models.ForeignKey(Instructor, on_delete=models.DO_NOTHING)
    price_amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    published_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "marketplace_course"

    def __str__(self) -> str:
        return self.title
