namespace Vermilion;
