from django.http import HttpResponse


def home(request):
    return HttpResponse("")


publication = objection = record = card = stars = allocation = home
